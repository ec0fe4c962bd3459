//! The message catalogue: for every rule, its stable code and the sentence a citizen sees, in
//! Danish and English side by side. Add a rule here and nowhere else.

use super::AddressError;
use crate::domain::DomainError;

/// One catalogue entry.
pub(super) struct Entry {
    /// Stable snake_case code (API responses, logs, tests).
    pub(super) code: &'static str,
    /// Danish text.
    pub(super) da: &'static str,
    /// English text.
    pub(super) en: &'static str,
}

const fn entry(code: &'static str, da: &'static str, en: &'static str) -> Entry {
    Entry { code, da, en }
}

/// The catalogue.
pub(super) fn lookup(error: &AddressError) -> Entry {
    use AddressError as A;
    use DomainError as D;
    match error {
        A::Empty => entry("empty", "Skriv en e-mailadresse.", "Please enter an e-mail address."),
        A::TooLong => entry(
            "too_long",
            "E-mailadressen er for lang (højst 254 tegn).",
            "The address is too long (at most 254 characters).",
        ),
        A::ControlCharacter => entry(
            "control_character",
            "E-mailadressen indeholder et usynligt styretegn. Skriv den igen.",
            "The address contains a hidden control character. Please type it again.",
        ),
        A::Whitespace => {
            entry("whitespace", "E-mailadressen må ikke indeholde mellemrum.", "The address must not contain spaces.")
        }
        A::InvisibleCharacter => entry(
            "invisible_character",
            "E-mailadressen indeholder et usynligt tegn. Skriv den igen.",
            "The address contains an invisible character. Please type it again.",
        ),
        A::DisplayName => entry(
            "display_name",
            "Skriv kun selve e-mailadressen, uden navn og uden < >.",
            "Enter only the address itself, without a name or < >.",
        ),
        A::Quoted => entry(
            "quoted",
            "E-mailadressen må ikke indeholde anførselstegn.",
            "The address must not contain quotation marks.",
        ),
        A::Comment => entry(
            "comment",
            "E-mailadressen må ikke indeholde parenteser.",
            "The address must not contain brackets ( ).",
        ),
        A::Backslash => entry("backslash", "E-mailadressen må ikke indeholde \\.", "The address must not contain \\."),
        A::AddressLiteral => entry(
            "address_literal",
            "Efter @ skal der stå et domænenavn, ikke en IP-adresse i [ ].",
            "After the @ there must be a domain name, not an IP address in [ ].",
        ),
        A::NoAt => entry("no_at", "E-mailadressen mangler et @.", "The address has no @."),
        A::SeveralAt => entry("several_at", "E-mailadressen må kun have ét @.", "The address must have only one @."),
        A::LocalEmpty => entry("local_empty", "Der mangler noget før @.", "Something is missing before the @."),
        A::LocalTooLong => entry(
            "local_too_long",
            "Delen før @ er for lang (højst 64 tegn).",
            "The part before the @ is too long (at most 64 characters).",
        ),
        A::LocalNonAscii => entry(
            "local_non_ascii",
            "Før @ må der kun stå bogstaverne a-z uden æ, ø og å, tal og tegn som . - _ +.",
            "Before the @ use only the letters a-z without accents, digits and signs like . - _ +.",
        ),
        A::LocalBadCharacter => entry(
            "local_bad_character",
            "Delen før @ indeholder et tegn, der ikke er tilladt.",
            "The part before the @ contains a character that is not allowed.",
        ),
        A::LocalLeadingDot => entry(
            "local_leading_dot",
            "E-mailadressen må ikke begynde med et punktum.",
            "The address must not start with a dot.",
        ),
        A::LocalTrailingDot => entry(
            "local_trailing_dot",
            "Der må ikke stå et punktum lige før @.",
            "There must not be a dot just before the @.",
        ),
        A::LocalDoubleDot => entry(
            "local_double_dot",
            "E-mailadressen må ikke have to punktummer i træk.",
            "The address must not have two dots in a row.",
        ),
        A::Domain(D::Empty) => entry(
            "domain_empty",
            "Der mangler et domæne efter @, fx kommune.dk.",
            "The domain after the @ is missing, e.g. example.com.",
        ),
        A::Domain(D::TrailingDot) => entry(
            "domain_trailing_dot",
            "E-mailadressen må ikke slutte med et punktum.",
            "The address must not end with a dot.",
        ),
        A::Domain(D::EmptyLabel) => entry(
            "domain_empty_label",
            "Efter @ må der ikke stå to punktummer i træk eller et punktum først.",
            "After the @ there must not be two dots in a row or a dot first.",
        ),
        A::Domain(D::LabelTooLong) => entry(
            "domain_label_too_long",
            "En del af domænet er for lang (højst 63 tegn mellem punktummer).",
            "Part of the domain is too long (at most 63 characters between dots).",
        ),
        A::Domain(D::TooLong) => {
            entry("domain_too_long", "Domænet efter @ er for langt.", "The domain after the @ is too long.")
        }
        A::Domain(D::InvalidCharacter) => entry(
            "domain_bad_character",
            "Efter @ må der kun stå bogstaver, tal, bindestreger og punktummer.",
            "After the @ use only letters, digits, hyphens and dots.",
        ),
        A::Domain(D::InvisibleCharacter) => entry(
            "domain_invisible_character",
            "Domænet indeholder et usynligt tegn. Skriv det igen.",
            "The domain contains an invisible character. Please type it again.",
        ),
        A::Domain(D::HyphenAtEdge) => entry(
            "domain_hyphen_at_edge",
            "En del af domænet begynder eller slutter med en bindestreg.",
            "Part of the domain starts or ends with a hyphen.",
        ),
        A::Domain(D::ReservedHyphens) => entry(
            "domain_reserved_hyphens",
            "Domænet har to bindestreger på en plads, hvor det ikke er tilladt.",
            "The domain has two hyphens where they are not allowed.",
        ),
        A::Domain(D::InvalidALabel) => entry(
            "domain_invalid_a_label",
            "Domænet indeholder en ugyldig xn---del.",
            "The domain contains an invalid xn-- part.",
        ),
        A::Domain(D::InvalidIdn) => entry(
            "domain_invalid_idn",
            "Domænet indeholder tegn, der ikke kan bruges i et domænenavn.",
            "The domain contains characters that cannot be used in a domain name.",
        ),
        A::Domain(D::SingleLabel) => entry(
            "domain_single_label",
            "Domænet skal have et punktum og en endelse, fx kommune.dk.",
            "The domain needs a dot and an ending, e.g. example.com.",
        ),
        A::Domain(D::InvalidTld) => entry(
            "domain_invalid_tld",
            "Domænet skal slutte med en endelse af bogstaver, fx .dk eller .com.",
            "The domain must end with letters, e.g. .dk or .com.",
        ),
        A::Domain(D::IpAddress) => entry(
            "domain_ip_address",
            "Efter @ skal der stå et domænenavn, ikke en IP-adresse.",
            "After the @ there must be a domain name, not an IP address.",
        ),
        A::Domain(D::SpecialUseTld) => entry(
            "domain_special_use_tld",
            "Domænet er reserveret og kan ikke modtage e-mail.",
            "The domain is reserved and cannot receive e-mail.",
        ),
    }
}
