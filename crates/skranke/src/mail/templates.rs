//! The askama side of mail: one folder per message under `crates/skranke/templates/mail/`
//! (`subject`, `text` and `body` in Danish and English; see the README there), and the typed views
//! they are rendered from. A view holds fields already formatted for its language (local times,
//! the words for a hold reason), so the templates only place them. `.txt` files are not escaped;
//! the HTML bodies are, and share `mail/layout.html`.

use askama::Template;

use super::Rendered;
use crate::i18n::Lang;

/// What `layout.html` needs besides the message: the language for `lang` and the subject, which
/// is the page's title and heading.
pub(super) struct Page<'a> {
    lang: &'static str,
    subject: &'a str,
}

/// The booking code (RS-13: nothing else).
pub(super) struct CodeView<'a> {
    pub code: &'a str,
}

/// The address code of a staff member's own address or a shared mailbox.
pub(super) struct AddressCodeView<'a> {
    pub code: &'a str,
    pub organisation: &'a str,
}

/// A booking confirmed, cancelled or moved. `service` is `None` for a confidential or sensitive
/// service (RS-02); the templates then say "your appointment" in their language.
pub(super) struct BookingView<'a> {
    pub service: Option<&'a str>,
    pub when: String,
    pub centre: &'a str,
    pub address: &'a str,
    pub reference: &'a str,
}

/// A visit moved to another queue, arrived or not showing up (RS-01: no personal data).
pub(super) struct TransferView<'a> {
    pub queue: &'a str,
    pub centre: &'a str,
    pub when: String,
    pub link: &'a str,
}

/// A message held or blocked: its template's name, the reason in words, never its content.
pub(super) struct HeldView<'a> {
    pub template: &'a str,
    pub reason: &'static str,
    pub blocked: bool,
    pub when: String,
    pub link: &'a str,
}

/// Notifications to an internal address that nobody acknowledges (RS-40).
pub(super) struct SilentView<'a> {
    pub address: &'a str,
    pub count: u32,
    pub since: String,
    pub link: &'a str,
}

/// Declares one message's six templates as an askama enum over its view, and `$render`, which
/// renders all three parts in one language. The paths are spelled out because askama takes only
/// string literals (`tt`, not `literal`, so the literal reaches the derive unwrapped).
macro_rules! message {
    ($render:ident, $enum:ident, $view:ident,
     [$subject_da:tt, $subject_en:tt, $text_da:tt, $text_en:tt, $body_da:tt, $body_en:tt]) => {
        #[derive(Template)]
        enum $enum<'a> {
            #[template(path = $subject_da)]
            SubjectDa { mail: &'a $view<'a> },
            #[template(path = $subject_en)]
            SubjectEn { mail: &'a $view<'a> },
            #[template(path = $text_da)]
            TextDa { mail: &'a $view<'a> },
            #[template(path = $text_en)]
            TextEn { mail: &'a $view<'a> },
            #[template(path = $body_da)]
            BodyDa { mail: &'a $view<'a>, page: &'a Page<'a> },
            #[template(path = $body_en)]
            BodyEn { mail: &'a $view<'a>, page: &'a Page<'a> },
        }

        pub(super) fn $render(lang: Lang, mail: &$view<'_>) -> askama::Result<Rendered> {
            let (subject, text) = match lang {
                Lang::Da => ($enum::SubjectDa { mail }.render()?, $enum::TextDa { mail }.render()?),
                Lang::En => ($enum::SubjectEn { mail }.render()?, $enum::TextEn { mail }.render()?),
            };
            let page = Page { lang: lang.code(), subject: &subject };
            let html = match lang {
                Lang::Da => $enum::BodyDa { mail, page: &page }.render()?,
                Lang::En => $enum::BodyEn { mail, page: &page }.render()?,
            };
            Ok(Rendered { subject, text, html })
        }
    };
}

message!(
    booking_code,
    BookingCode,
    CodeView,
    [
        "mail/booking_code/subject.da.txt",
        "mail/booking_code/subject.en.txt",
        "mail/booking_code/text.da.txt",
        "mail/booking_code/text.en.txt",
        "mail/booking_code/body.da.html",
        "mail/booking_code/body.en.html"
    ]
);

message!(
    booking_confirmed,
    BookingConfirmed,
    BookingView,
    [
        "mail/booking_confirmed/subject.da.txt",
        "mail/booking_confirmed/subject.en.txt",
        "mail/booking_confirmed/text.da.txt",
        "mail/booking_confirmed/text.en.txt",
        "mail/booking_confirmed/body.da.html",
        "mail/booking_confirmed/body.en.html"
    ]
);

message!(
    booking_cancelled,
    BookingCancelled,
    BookingView,
    [
        "mail/booking_cancelled/subject.da.txt",
        "mail/booking_cancelled/subject.en.txt",
        "mail/booking_cancelled/text.da.txt",
        "mail/booking_cancelled/text.en.txt",
        "mail/booking_cancelled/body.da.html",
        "mail/booking_cancelled/body.en.html"
    ]
);

message!(
    booking_moved,
    BookingMoved,
    BookingView,
    [
        "mail/booking_moved/subject.da.txt",
        "mail/booking_moved/subject.en.txt",
        "mail/booking_moved/text.da.txt",
        "mail/booking_moved/text.en.txt",
        "mail/booking_moved/body.da.html",
        "mail/booking_moved/body.en.html"
    ]
);

message!(
    address_code,
    AddressCode,
    AddressCodeView,
    [
        "mail/address_code/subject.da.txt",
        "mail/address_code/subject.en.txt",
        "mail/address_code/text.da.txt",
        "mail/address_code/text.en.txt",
        "mail/address_code/body.da.html",
        "mail/address_code/body.en.html"
    ]
);

message!(
    visit_transferred,
    VisitTransferred,
    TransferView,
    [
        "mail/visit_transferred/subject.da.txt",
        "mail/visit_transferred/subject.en.txt",
        "mail/visit_transferred/text.da.txt",
        "mail/visit_transferred/text.en.txt",
        "mail/visit_transferred/body.da.html",
        "mail/visit_transferred/body.en.html"
    ]
);

message!(
    message_held,
    MessageHeld,
    HeldView,
    [
        "mail/message_held/subject.da.txt",
        "mail/message_held/subject.en.txt",
        "mail/message_held/text.da.txt",
        "mail/message_held/text.en.txt",
        "mail/message_held/body.da.html",
        "mail/message_held/body.en.html"
    ]
);

message!(
    address_silent,
    AddressSilent,
    SilentView,
    [
        "mail/address_silent/subject.da.txt",
        "mail/address_silent/subject.en.txt",
        "mail/address_silent/text.da.txt",
        "mail/address_silent/text.en.txt",
        "mail/address_silent/body.da.html",
        "mail/address_silent/body.en.html"
    ]
);

message!(
    booking_reminder,
    BookingReminder,
    BookingView,
    [
        "mail/booking_reminder/subject.da.txt",
        "mail/booking_reminder/subject.en.txt",
        "mail/booking_reminder/text.da.txt",
        "mail/booking_reminder/text.en.txt",
        "mail/booking_reminder/body.da.html",
        "mail/booking_reminder/body.en.html"
    ]
);

message!(
    booking_missed,
    BookingMissed,
    BookingView,
    [
        "mail/booking_missed/subject.da.txt",
        "mail/booking_missed/subject.en.txt",
        "mail/booking_missed/text.da.txt",
        "mail/booking_missed/text.en.txt",
        "mail/booking_missed/body.da.html",
        "mail/booking_missed/body.en.html"
    ]
);

message!(
    visit_arrived,
    VisitArrived,
    TransferView,
    [
        "mail/visit_arrived/subject.da.txt",
        "mail/visit_arrived/subject.en.txt",
        "mail/visit_arrived/text.da.txt",
        "mail/visit_arrived/text.en.txt",
        "mail/visit_arrived/body.da.html",
        "mail/visit_arrived/body.en.html"
    ]
);

message!(
    visit_no_show,
    VisitNoShow,
    TransferView,
    [
        "mail/visit_no_show/subject.da.txt",
        "mail/visit_no_show/subject.en.txt",
        "mail/visit_no_show/text.da.txt",
        "mail/visit_no_show/text.en.txt",
        "mail/visit_no_show/body.da.html",
        "mail/visit_no_show/body.en.html"
    ]
);
