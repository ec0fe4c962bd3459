//! Booking use cases: availability, book, confirm with code, view, cancel, reschedule.

use jiff::Timestamp;
use std::sync::Arc;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use skranke_core::Interval;
use skranke_core::availability::{AvailabilityInput, Slot, check_start, free_slots};
use skranke_core::booking::{AppointmentStatus, CodeOutcome, judge_code};
use skranke_core::ids::{AppointmentId, MessageId, ServiceId};
use skranke_core::notify::route::{Event, Recipient};
use skranke_core::reference::BookingReference;
use skranke_core::secret::{ConfirmationCode, ManageToken};
use skranke_core::text::{PersonName, PhoneNumber, TextError};
use skranke_recipient::address::EmailAddress;

use super::{App, AppError, random_bytes};
use crate::i18n::Lang;
use crate::mail::MailPayload;
use crate::store::{Appointment, CentreView, NewAppointment, NewMessage, NewSlot, Service, Store, StoreError};

/// Longest range one availability request may ask for.
pub const MAX_RANGE_DAYS: i32 = 62;
/// How long before an appointment its reminder goes out unless configured: the day before.
pub const REMINDER_LEAD: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

#[derive(Debug)]
pub struct Availability {
    pub service: Service,
    pub tz: TimeZone,
    pub slots: Vec<Slot>,
}

/// What a citizen asked for. `Debug` leaves out the personal fields.
pub struct BookingRequest {
    pub service: ServiceId,
    pub start: Timestamp,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub language: Lang,
}

#[derive(Debug)]
pub struct Booked {
    pub appointment: Appointment,
    pub token: ManageToken,
}

impl std::fmt::Debug for BookingRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BookingRequest")
            .field("service", &self.service)
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

fn window_for(tz: &TimeZone, from: Date, to: Date) -> Option<Interval> {
    let start = tz.to_ambiguous_timestamp(from.to_datetime(jiff::civil::Time::midnight())).compatible().ok()?;
    let end_day = to.tomorrow().ok()?;
    let end = tz.to_ambiguous_timestamp(end_day.to_datetime(jiff::civil::Time::midnight())).compatible().ok()?;
    Interval::new(start, end)
}

fn not_empty(v: Option<String>) -> Option<String> {
    v.filter(|s| !s.trim().is_empty())
}

impl App {
    async fn service_and_centre(&self, id: ServiceId) -> Result<(Service, CentreView), AppError> {
        let service = self.store.get_service(id).await?.ok_or(AppError::NotFound("service"))?;
        let centre = self.store.get_centre(service.centre_id).await?.ok_or(AppError::NotFound("centre"))?;
        Ok((service, centre))
    }

    async fn input_for_day(&self, service: ServiceId, tz: &TimeZone, day: Date) -> Result<AvailabilityInput, AppError> {
        let window = window_for(tz, day, day).ok_or(AppError::BadRequest("invalid_date"))?;
        let now = self.clock.now();
        self.store.availability_input(service, window, now).await?.ok_or(AppError::NotFound("service"))
    }

    /// Free slots of `service` between the local dates `from` and `to`, inclusive.
    pub async fn availability(
        &self,
        service_id: ServiceId,
        from: Date,
        to: Date,
    ) -> Result<Arc<Availability>, AppError> {
        let key = (service_id, from, to);
        let cache = &self.availability_cache;
        if !cache.enabled() {
            return Ok(Arc::new(self.availability_uncached(service_id, from, to, self.clock.now()).await?));
        }
        if let Some(hit) = cache.get(key, self.clock.now()) {
            return Ok(hit);
        }
        let lock = cache.computing_lock(key);
        let _computing = lock.lock().await;
        let now = self.clock.now();
        if let Some(hit) = cache.get(key, now) {
            return Ok(hit);
        }
        let answer = Arc::new(self.availability_uncached(service_id, from, to, now).await?);
        cache.put(key, now, Arc::clone(&answer));
        Ok(answer)
    }

    async fn availability_uncached(
        &self,
        service_id: ServiceId,
        from: Date,
        to: Date,
        now: Timestamp,
    ) -> Result<Availability, AppError> {
        if to < from {
            return Err(AppError::BadRequest("invalid_range"));
        }
        let days = from.until(to).map_err(|_| AppError::BadRequest("invalid_range"))?.get_days();
        if days >= MAX_RANGE_DAYS {
            return Err(AppError::BadRequest("range_too_long"));
        }
        let (service, centre) = self.service_and_centre(service_id).await?;
        let tz = TimeZone::get(&centre.timezone).map_err(|_| AppError::NotFound("centre"))?;
        if !service.rules.online_bookable() {
            return Ok(Availability { service, tz, slots: Vec::new() });
        }
        let window = window_for(&tz, from, to).ok_or(AppError::BadRequest("invalid_range"))?;
        let input =
            self.store.availability_input(service_id, window, now).await?.ok_or(AppError::NotFound("service"))?;
        let slots = free_slots(&input, now, from, to);
        Ok(Availability { service, tz, slots })
    }

    /// Books a slot. With an e-mail address the slot is held and the address receives only a
    /// code (RS-13); without one the booking is confirmed at once.
    pub async fn book(&self, req: BookingRequest) -> Result<Booked, AppError> {
        let name = PersonName::parse(&req.name).map_err(|error| AppError::Invalid { field: "name", error })?;
        let email = not_empty(req.email)
            .map(|e| EmailAddress::parse(e.trim()))
            .transpose()
            // The full address policy of the recipient-safety library (RS-12 syntax).
            .map_err(|_| AppError::Invalid { field: "email", error: TextError::InvalidEmail })?
            .map(|e| e.to_string());
        let phone = not_empty(req.phone)
            .map(|p| PhoneNumber::parse(&p))
            .transpose()
            .map_err(|error| AppError::Invalid { field: "phone", error })?;
        let (service, centre) = self.service_and_centre(req.service).await?;
        if !service.rules.online_bookable() {
            return Err(AppError::NotBookableOnline);
        }
        let tz = TimeZone::get(&centre.timezone).map_err(|_| AppError::NotFound("centre"))?;
        let day = tz.to_datetime(req.start).date();
        let input = self.input_for_day(service.id, &tz, day).await?;
        let now = self.clock.now();
        let slot = check_start(&input, now, req.start).map_err(AppError::Slot)?;

        let token = ManageToken::from_random_bytes(random_bytes());
        let id = AppointmentId::from_random_bytes(random_bytes());
        let code = email.as_ref().map(|_| ConfirmationCode::from_random(u32::from_le_bytes(random_bytes())));
        let hold_expires_at = code.as_ref().map(|_| now.checked_add(self.hold_duration()).unwrap_or(now));
        let occupied_until =
            slot.interval.start().checked_add(service.rules.occupancy()).unwrap_or(slot.interval.end());
        let salt = id.to_string();

        // References are random; on the rare collision with an existing one, draw again.
        for _ in 0..5 {
            let appointment = Appointment {
                id,
                centre_id: centre.centre.id,
                service_id: service.id,
                staff_id: None,
                reference: BookingReference::from_random_bytes(random_bytes()),
                manage_token_hash: token.hash(),
                status: if code.is_some() { AppointmentStatus::Held } else { AppointmentStatus::Confirmed },
                slot: slot.interval,
                occupied_until,
                citizen_name: name.as_str().to_owned(),
                citizen_email: email.clone(),
                citizen_phone: phone.as_ref().map(|p| p.as_str().to_owned()),
                language: req.language,
                hold_expires_at,
                code_hash: code.as_ref().map(|c| c.hash(&salt)),
                code_attempts: 0,
                created_at: now,
            };
            let messages = match (&email, &code) {
                (Some(to), Some(code)) => {
                    vec![message(&appointment, to, &MailPayload::BookingCode { code: code.expose().to_owned() })?]
                }
                _ => Vec::new(),
            };
            let new = NewAppointment {
                appointment,
                capacity: service.rules.capacity(),
                candidate_staff: slot.free_staff.clone(),
            };
            match self.store.create_appointment(&new, &messages, now).await {
                Ok(appointment) => {
                    self.availability_cache.invalidate();
                    return Ok(Booked { appointment, token });
                }
                Err(StoreError::Duplicate(c)) if c.contains("reference") || c == "unknown" => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(AppError::Internal(StoreError::Duplicate("reference".to_owned())))
    }

    /// Loads a booking for its holder: the token must match.
    pub async fn booking_for_holder(&self, id: AppointmentId, token: Option<&str>) -> Result<Appointment, AppError> {
        let token = token.and_then(ManageToken::parse).ok_or(AppError::InvalidToken)?;
        let a = self.store.get_appointment(id).await?.ok_or(AppError::NotFound("booking"))?;
        if !a.manage_token_hash.matches(&token.hash()) {
            return Err(AppError::InvalidToken);
        }
        Ok(a)
    }

    /// Confirms a held booking with the code mailed to the citizen.
    pub async fn confirm(&self, id: AppointmentId, token: Option<&str>, code: &str) -> Result<Appointment, AppError> {
        let a = self.booking_for_holder(id, token).await?;
        let now = self.clock.now();
        let typed = ConfirmationCode::parse(code);
        let matches = match (&typed, &a.code_hash) {
            (Some(c), Some(h)) => c.hash(&a.id.to_string()).matches(h),
            _ => false,
        };
        match judge_code(&self.settings.hold, a.status, a.hold_expires_at, a.code_attempts, matches, now) {
            CodeOutcome::Confirm => {
                let (service, centre) = self.service_and_centre(a.service_id).await?;
                // The address is proven by this code whether or not the confirmation is routed.
                let messages = match &a.citizen_email {
                    Some(to) if self.citizen_route(&centre, Event::BookingCreated).await? => {
                        vec![message(&a, to, &MailPayload::confirmed(&a, &service, &centre))?]
                    }
                    _ => Vec::new(),
                };
                self.store.confirm_hold(a.id, a.code_attempts, &messages, now).await?;
                self.availability_cache.invalidate();
                let confirmed = self.store.get_appointment(a.id).await?.ok_or(AppError::NotFound("booking"))?;
                Ok(confirmed)
            }
            CodeOutcome::Wrong { attempts_left } => {
                self.store.record_wrong_code(a.id, a.code_attempts, false, now).await?;
                Err(AppError::WrongCode { attempts_left })
            }
            CodeOutcome::Exhausted => {
                self.store.record_wrong_code(a.id, a.code_attempts, true, now).await?;
                self.availability_cache.invalidate();
                Err(AppError::CodeAttemptsExhausted)
            }
            CodeOutcome::Expired => Err(AppError::HoldExpired),
            CodeOutcome::NotHeld => Err(AppError::InvalidState),
        }
    }

    pub async fn cancel(&self, id: AppointmentId, token: Option<&str>) -> Result<Appointment, AppError> {
        let a = self.booking_for_holder(id, token).await?;
        let now = self.clock.now();
        if !matches!(a.status_at(now), AppointmentStatus::Held | AppointmentStatus::Confirmed) {
            return Err(AppError::InvalidState);
        }
        let (service, centre) = self.service_and_centre(a.service_id).await?;
        let routed = self.citizen_route(&centre, Event::BookingCancelled).await?;
        let messages = match (&a.citizen_email, a.status) {
            (Some(to), AppointmentStatus::Confirmed) if routed => {
                vec![message(&a, to, &MailPayload::cancelled(&a, &service, &centre))?]
            }
            _ => Vec::new(),
        };
        self.store.cancel_appointment(a.id, &messages, now).await?;
        self.availability_cache.invalidate();
        self.store.get_appointment(a.id).await?.ok_or(AppError::NotFound("booking"))
    }

    /// Whether the organisation's routing rules send the citizen mail about `event`, read when
    /// the message is built (issue 6, point 3).
    async fn citizen_route(&self, centre: &CentreView, event: Event) -> Result<bool, AppError> {
        Ok(self.store.route_table(centre.centre.organisation_id).await?.enabled(event, Recipient::Citizen))
    }

    /// Writes the reminders that are due (confirmed bookings starting within the configured lead,
    /// booked at least that far ahead), each in the transaction that marks its booking reminded,
    /// so a reminder is written once however many workers run. Returns how many bookings it
    /// handled; a booking whose organisation has the reminder route off is marked without mail.
    pub async fn send_reminders(&self) -> Result<usize, AppError> {
        let now = self.clock.now();
        let due = self.store.due_reminders(now, self.settings.reminder_lead, 100).await?;
        let mut handled = 0;
        for id in due {
            let Some(a) = self.store.get_appointment(id).await? else { continue };
            let (service, centre) = self.service_and_centre(a.service_id).await?;
            let messages = match &a.citizen_email {
                Some(to) if self.citizen_route(&centre, Event::Reminder).await? => {
                    vec![message(&a, to, &MailPayload::reminder(&a, &service, &centre))?]
                }
                _ => Vec::new(),
            };
            if self.store.record_reminder(a.id, &messages, now).await? {
                handled += 1;
            }
        }
        Ok(handled)
    }

    pub async fn reschedule(
        &self,
        id: AppointmentId,
        token: Option<&str>,
        start: Timestamp,
    ) -> Result<Appointment, AppError> {
        let a = self.booking_for_holder(id, token).await?;
        let now = self.clock.now();
        if a.status_at(now) != AppointmentStatus::Confirmed {
            return Err(AppError::InvalidState);
        }
        if start == a.slot.start() {
            return Ok(a);
        }
        let (service, centre) = self.service_and_centre(a.service_id).await?;
        let tz = TimeZone::get(&centre.timezone).map_err(|_| AppError::NotFound("centre"))?;
        let input = self.input_for_day(service.id, &tz, tz.to_datetime(start).date()).await?;
        let slot = check_start(&input, now, start).map_err(AppError::Slot)?;
        let to = NewSlot {
            slot: slot.interval,
            occupied_until: start.checked_add(service.rules.occupancy()).unwrap_or(slot.interval.end()),
            capacity: service.rules.capacity(),
            candidate_staff: slot.free_staff,
        };
        let moved = Appointment { slot: slot.interval, ..a.clone() };
        let messages = match &a.citizen_email {
            Some(to) if self.citizen_route(&centre, Event::BookingMoved).await? => {
                vec![message(&moved, to, &MailPayload::moved(&moved, &service, &centre))?]
            }
            _ => Vec::new(),
        };
        let moved = self.store.reschedule_appointment(a.id, &to, &messages, now).await?;
        self.availability_cache.invalidate();
        Ok(moved)
    }

    /// Frees holds that ran out; run by the worker.
    pub async fn sweep_holds(&self) -> Result<u64, AppError> {
        let swept = self.store.sweep_expired_holds(self.clock.now()).await?;
        if swept > 0 {
            self.availability_cache.invalidate();
        }
        Ok(swept)
    }
}

fn message(a: &Appointment, to: &str, payload: &MailPayload) -> Result<NewMessage, AppError> {
    Ok(NewMessage {
        id: MessageId::from_random_bytes(random_bytes()),
        appointment_id: Some(a.id),
        template: payload.template().to_owned(),
        recipient: to.to_owned(),
        language: a.language,
        payload: serde_json::to_string(payload).map_err(|e| AppError::Internal(StoreError::Corrupt(e.to_string())))?,
        // The store files the citizen's address as the booking's record and finds the organisation.
        organisation_id: None,
        address_id: None,
        purpose: payload.purpose(),
    })
}
