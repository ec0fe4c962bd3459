//! The documents of a breach scope (issue 7, point 1): the CSV of affected subjects, the draft
//! notification to the Data Protection Agency (Art. 33(3)(a)–(d)) and one letter per affected
//! citizen (Art. 34(2)) as text and HTML. The drafts are Danish, as the authority and the
//! citizens read them; their text lives in `templates/breach/`, category names in the
//! catalogue (`breach.class.*`). What only a person can judge (consequences, measures) is left
//! as a marked `[UDFYLDES …]` field, never guessed.

use askama::Template;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use skranke_core::breach::{Affected, Scope, SubjectRef, Target, Window};
use skranke_core::notify::{DataClass, DataClasses};

use crate::i18n::{Lang, t};
use crate::mail::format_local;

/// Who the drafts are from and when they were made.
#[derive(Debug, Clone)]
pub struct Context {
    /// The data controller: the organisation's name.
    pub organisation: String,
    /// The contact point (Art. 33(3)(b)): the data-protection officers' names and addresses.
    pub contacts: Vec<String>,
    pub generated_at: Timestamp,
    pub target: Target,
    pub window: Window,
}

fn tz() -> TimeZone {
    TimeZone::get("Europe/Copenhagen").unwrap_or(TimeZone::UTC)
}

fn local(at: Timestamp) -> String {
    format_local(Lang::Da, at, &tz())
}

/// The name of a data class in a document.
pub fn class_name(lang: Lang, class: DataClass) -> &'static str {
    t(lang, &format!("breach.class.{}", class.as_str()))
}

/// The personal data classes of a set, named; `operational` alone when there are none.
fn class_names(lang: Lang, classes: DataClasses) -> Vec<String> {
    let personal: Vec<String> =
        classes.iter().filter(|c| c.is_personal()).map(|c| class_name(lang, c).to_owned()).collect();
    if personal.is_empty() { vec![class_name(lang, DataClass::Operational).to_owned()] } else { personal }
}

fn target_text(target: &Target) -> String {
    match target {
        Target::Address(a) => format!("e-mailadressen {a}"),
        Target::Domain(d) => format!("alle e-mailadresser under domænet {d}"),
    }
}

fn window_text(window: &Window) -> String {
    match (window.from(), window.to()) {
        (None, None) => "hele loggen".to_owned(),
        (Some(f), None) => format!("fra {}", local(f)),
        (None, Some(t)) => format!("til (ikke med) {}", local(t)),
        (Some(f), Some(t)) => format!("fra {} til (ikke med) {}", local(f), local(t)),
    }
}

/// One CSV field, quoted, with a leading `=`, `+`, `-`, `@` (or tab/CR) neutralised so a
/// spreadsheet shows a name such as `=HYPERLINK(…)` as text instead of running it.
fn csv_field(value: &str) -> String {
    let guarded =
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() };
    format!("\"{}\"", guarded.replace('"', "\"\""))
}

/// The affected subjects, one row each, most messages first: what a DPO sorts, filters and
/// hands on. Times are UTC (RFC 3339) so the file sorts and compares without a time zone.
pub fn csv(scope: &Scope) -> String {
    let mut out = String::from(
        "subject,kind,name,email,reference,messages,first_sent_utc,last_sent_utc,categories,recipients\r\n",
    );
    for s in &scope.subjects {
        let kind = match s.subject {
            SubjectRef::Appointment(_) => "citizen",
            SubjectRef::Visit(_) => "walk_in_visitor",
        };
        let fields = [
            s.subject.key(),
            kind.to_owned(),
            s.info.name.clone().unwrap_or_default(),
            s.info.email.clone().unwrap_or_default(),
            s.info.reference.clone().unwrap_or_default(),
            s.messages.to_string(),
            s.first.to_string(),
            s.last.to_string(),
            s.classes.iter().filter(|c| c.is_personal()).map(DataClass::as_str).collect::<Vec<_>>().join(" "),
            s.recipients.join(" "),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

#[derive(Template)]
#[template(path = "breach/art33.da.txt")]
struct Art33 {
    organisation: String,
    generated: String,
    target: String,
    window: String,
    empty: bool,
    messages: u64,
    first: String,
    last: String,
    recipients: String,
    subjects: u64,
    anonymised: u64,
    walk_ins: u64,
    without_subject: u64,
    categories: Vec<(String, u64)>,
    contacts: Vec<String>,
}

/// The draft notification to the Data Protection Agency.
///
/// # Errors
/// A template error (a bug: the templates are compiled in).
pub fn art33_draft(scope: &Scope, ctx: &Context) -> Result<String, askama::Error> {
    Art33 {
        organisation: ctx.organisation.clone(),
        generated: local(ctx.generated_at),
        target: target_text(&ctx.target),
        window: window_text(&ctx.window),
        empty: scope.is_empty(),
        messages: scope.messages,
        first: scope.first.map(local).unwrap_or_default(),
        last: scope.last.map(local).unwrap_or_default(),
        recipients: scope.recipients.join(", "),
        subjects: scope.subjects.len() as u64,
        anonymised: scope.anonymised(),
        walk_ins: scope.walk_ins(),
        without_subject: scope.messages_without_subject,
        categories: scope.subjects_per_class.iter().map(|(c, n)| (class_name(Lang::Da, *c).to_owned(), *n)).collect(),
        contacts: ctx.contacts.clone(),
    }
    .render()
}

#[derive(Template)]
#[template(path = "breach/letter.da.txt")]
struct LetterText<'a> {
    greeting: &'a str,
    what: &'a str,
    categories: &'a [String],
    contacts: &'a [String],
    organisation: &'a str,
}

#[derive(Template)]
#[template(path = "breach/letter.da.html")]
struct LetterHtml<'a> {
    greeting: &'a str,
    what: &'a str,
    categories: &'a [String],
    contacts: &'a [String],
    organisation: &'a str,
}

/// One citizen's letter (Art. 34(2)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub subject: SubjectRef,
    /// Where to send it: the address the citizen gave when booking.
    pub to: String,
    pub text: String,
    pub html: String,
}

/// The recipient named to a citizen: the domain only, since a mistyped address may be another
/// person's mailbox and the letter must not disclose it.
fn recipient_domains(s: &Affected) -> String {
    let mut domains: Vec<&str> = s.recipients.iter().filter_map(|r| r.rsplit_once('@').map(|(_, d)| d)).collect();
    domains.sort_unstable();
    domains.dedup();
    domains.join(", ")
}

/// Letters to every affected citizen who can still be written to (a booking with an address).
/// Walk-in visitors and anonymised bookings cannot be; the draft counts them.
///
/// # Errors
/// A template error (a bug).
pub fn letters(scope: &Scope, ctx: &Context) -> Result<Vec<Letter>, askama::Error> {
    let mut out = Vec::new();
    for s in scope.subjects.iter().filter(|s| s.reachable()) {
        let Some(to) = s.info.email.clone() else { continue };
        let greeting = s.info.name.as_deref().map_or_else(|| "Kære borger".to_owned(), |n| format!("Kære {n}"));
        let count = if s.messages == 1 { "1 e-mail".to_owned() } else { format!("{} e-mails", s.messages) };
        let period =
            if s.first == s.last { local(s.first) } else { format!("mellem {} og {}", local(s.first), local(s.last)) };
        let reference = s.info.reference.as_deref().map(|r| format!(" (bookingnummer {r})")).unwrap_or_default();
        let what = format!(
            "{} blev {count} om din aftale hos {}{reference} sendt til en modtager under domænet {}, \
             som ikke skulle have haft dem.",
            capitalise(&period),
            ctx.organisation,
            recipient_domains(s),
        );
        let categories = class_names(Lang::Da, s.classes);
        let fields = (greeting.as_str(), what.as_str(), categories.as_slice(), ctx.contacts.as_slice());
        let text = LetterText {
            greeting: fields.0,
            what: fields.1,
            categories: fields.2,
            contacts: fields.3,
            organisation: &ctx.organisation,
        }
        .render()?;
        let html = LetterHtml {
            greeting: fields.0,
            what: fields.1,
            categories: fields.2,
            contacts: fields.3,
            organisation: &ctx.organisation,
        }
        .render()?;
        out.push(Letter { subject: s.subject, to, text, html });
    }
    Ok(out)
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// The command line's report: totals, then one line per subject. English, like the rest of the
/// command line; the documents for the authority and the citizens are Danish.
pub fn summary(scope: &Scope, target: &Target, window: &Window) -> String {
    use std::fmt::Write as _;
    let what = match target {
        Target::Address(a) => format!("address {a}"),
        Target::Domain(d) => format!("domain {d} (every address under it)"),
    };
    let when = match (window.from(), window.to()) {
        (None, None) => "the whole log".to_owned(),
        (f, t) => format!(
            "{} to {} (UTC, end excluded)",
            f.map_or_else(|| "the beginning".to_owned(), |f| f.to_string()),
            t.map_or_else(|| "now".to_owned(), |t| t.to_string())
        ),
    };
    let mut out = String::new();
    if scope.is_empty() {
        let _ = writeln!(out, "Nothing found: no message was delivered to {what} in {when}.");
        return out;
    }
    let (reachable, _) = scope.reachable_count();
    let _ = writeln!(out, "Scope: {what}, {when}");
    let _ = writeln!(
        out,
        "Messages delivered: {} ({} about no citizen), first {}, last {}",
        scope.messages,
        scope.messages_without_subject,
        scope.first.map(|t| t.to_string()).unwrap_or_default(),
        scope.last.map(|t| t.to_string()).unwrap_or_default()
    );
    let _ = writeln!(
        out,
        "Data subjects: {} ({reachable} with a contact address, {} anonymised since, {} walk-in visitors)",
        scope.subjects.len(),
        scope.anonymised(),
        scope.walk_ins()
    );
    let _ = writeln!(out, "Recipients: {}", scope.recipients.join(", "));
    let _ = writeln!(out, "Categories (subjects):");
    for (class, n) in &scope.subjects_per_class {
        let _ = writeln!(out, "  {} ({}): {n}", class_name(Lang::En, *class), class.as_str());
    }
    let _ = writeln!(out, "subject\tmessages\tfirst\tlast\tcategories");
    for s in &scope.subjects {
        let classes: Vec<&str> = s.classes.iter().filter(|c| c.is_personal()).map(DataClass::as_str).collect();
        let _ = writeln!(out, "{}\t{}\t{}\t{}\t{}", s.subject.key(), s.messages, s.first, s.last, classes.join(","));
    }
    out
}

/// Writes `affected.csv`, `anmeldelse-datatilsynet.txt` and `breve/NNN.{txt,html}` (one pair
/// per citizen who can be written to, with `breve/modtagere.csv` listing where each goes) into
/// `dir`, creating it. Returns the paths written.
///
/// # Errors
/// File system errors; a template error (a bug) as `InvalidData`.
pub fn write_all(dir: &std::path::Path, scope: &Scope, ctx: &Context) -> std::io::Result<Vec<std::path::PathBuf>> {
    let bug = |e: askama::Error| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string());
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut put = |path: std::path::PathBuf, body: &str| -> std::io::Result<()> {
        std::fs::write(&path, body)?;
        written.push(path);
        Ok(())
    };
    put(dir.join("affected.csv"), &csv(scope))?;
    put(dir.join("anmeldelse-datatilsynet.txt"), &art33_draft(scope, ctx).map_err(bug)?)?;
    let letters = letters(scope, ctx).map_err(bug)?;
    if !letters.is_empty() {
        let letters_dir = dir.join("breve");
        std::fs::create_dir_all(&letters_dir)?;
        let mut index = String::from("letter,to,subject\r\n");
        for (n, letter) in letters.iter().enumerate() {
            let stem = format!("{:03}", n + 1);
            put(letters_dir.join(format!("{stem}.txt")), &letter.text)?;
            put(letters_dir.join(format!("{stem}.html")), &letter.html)?;
            index.push_str(&format!(
                "{},{},{}\r\n",
                csv_field(&stem),
                csv_field(&letter.to),
                csv_field(&letter.subject.key())
            ));
        }
        put(letters_dir.join("modtagere.csv"), &index)?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use skranke_core::breach::{ScopeRow, SubjectInfo, aggregate};
    use skranke_core::ids::{AppointmentId, VisitId};

    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap_or(Timestamp::UNIX_EPOCH)
    }

    /// Two citizens (one anonymised since), a walk-in visitor and an operational note, all to
    /// the mistyped address.
    fn fixture() -> (Scope, Context) {
        let anna = SubjectRef::Appointment(AppointmentId::from_uuid(uuid::Uuid::from_u128(1)));
        let gone = SubjectRef::Appointment(AppointmentId::from_uuid(uuid::Uuid::from_u128(2)));
        let walk_in = SubjectRef::Visit(VisitId::from_uuid(uuid::Uuid::from_u128(3)));
        let booking = DataClasses::of(&[DataClass::Appointment, DataClass::BookingReference, DataClass::ServiceName]);
        let row = |subject, classes, n, first: &str, last: &str| ScopeRow {
            subject,
            recipient: "sagsbehandler@fred.dk".into(),
            pseudonym: None,
            classes,
            messages: n,
            first: ts(first),
            last: ts(last),
        };
        let rows = vec![
            row(Some(anna), booking, 3, "2017-06-10T08:00:00Z", "2018-01-10T08:00:00Z"),
            row(Some(gone), booking, 1, "2017-09-10T08:00:00Z", "2017-09-10T08:00:00Z"),
            row(
                Some(walk_in),
                DataClasses::of(&[DataClass::Operational]),
                1,
                "2018-03-01T09:00:00Z",
                "2018-03-01T09:00:00Z",
            ),
            row(None, DataClasses::of(&[DataClass::Operational]), 2, "2017-05-01T09:00:00Z", "2019-05-01T09:00:00Z"),
        ];
        let scope = aggregate(rows, |s| match s {
            s if *s == anna => Some(SubjectInfo {
                name: Some("Anna Holm".into()),
                email: Some("anna@example.org".into()),
                reference: Some("K7Q-4MZ".into()),
            }),
            s if *s == walk_in => {
                Some(SubjectInfo { reference: Some("A001 (2018-03-01)".into()), ..SubjectInfo::default() })
            }
            _ => None,
        });
        let ctx = Context {
            organisation: "Fredericia Kommune".into(),
            contacts: vec!["Dorte Dahl <dpo@fredericia.dk>".into()],
            generated_at: ts("2019-06-03T10:00:00Z"),
            target: Target::Address("sagsbehandler@fred.dk".into()),
            window: Window::new(Some(ts("2016-12-31T23:00:00Z")), Some(ts("2020-01-01T00:00:00Z"))).unwrap_or_default(),
        };
        (scope, ctx)
    }

    #[test]
    fn the_art_33_draft() {
        let (scope, ctx) = fixture();
        insta::assert_snapshot!(art33_draft(&scope, &ctx).unwrap_or_default());
    }

    #[test]
    fn the_art_33_draft_when_nothing_was_found_and_no_contact_is_known() {
        let (_, mut ctx) = fixture();
        ctx.contacts.clear();
        insta::assert_snapshot!(art33_draft(&Scope::default(), &ctx).unwrap_or_default());
    }

    #[test]
    fn a_letter_goes_to_each_reachable_citizen_only() {
        let (scope, ctx) = fixture();
        let letters = letters(&scope, &ctx).unwrap_or_default();
        assert_eq!(letters.len(), 1, "the anonymised booking and the walk-in visitor cannot be written to");
        insta::assert_snapshot!("letter_text", letters[0].text);
        insta::assert_snapshot!("letter_html", letters[0].html);
    }

    #[test]
    fn the_csv_has_a_row_per_subject_and_neutralises_formulas() {
        let (mut scope, _) = fixture();
        scope.subjects[0].info.name = Some("=cmd|' /C calc'!A0".into());
        insta::assert_snapshot!(csv(&scope));
    }
}
