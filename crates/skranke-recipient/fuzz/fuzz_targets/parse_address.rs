//! `EmailAddress::parse` on arbitrary UTF-8: never panics, and every accepted address parses back
//! to itself from its ASCII (`Display`) and Unicode forms.

#![no_main]

use libfuzzer_sys::fuzz_target;
use skranke_recipient::address::EmailAddress;

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(address) = EmailAddress::parse(input) else {
        return;
    };
    let ascii = address.to_string();
    assert!(ascii.is_ascii() && ascii.len() <= 254, "ASCII form out of policy: {ascii:?}");
    assert_eq!(EmailAddress::parse(&ascii).as_ref(), Ok(&address), "ASCII round-trip of {input:?}");
    assert_eq!(
        EmailAddress::parse(&address.to_unicode_string()).as_ref(),
        Ok(&address),
        "Unicode round-trip of {input:?}"
    );
});
