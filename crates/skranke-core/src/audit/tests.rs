use super::*;
use proptest::prelude::*;
use serde_json::{Value, json};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn uuid(s: &str) -> Uuid {
    Uuid::parse_str(s).unwrap()
}

fn label(s: &str) -> Label {
    Label::new(s).unwrap()
}

fn action(s: &str) -> Action {
    Action::new(s).unwrap()
}

fn record(at: &str, action_name: &str) -> AuditRecord {
    AuditRecord {
        at: ts(at),
        organisation: Some(OrganisationId::from_uuid(uuid("00112233-4455-6677-8899-aabbccddeeff"))),
        actor: Actor::User { id: uuid("11111111-2222-3333-4444-555555555555"), label: label("anna@example.dk") },
        action: action(action_name),
        object: Some(ObjectRef::new("service", "7f1c0000-0000-4000-8000-000000000001").unwrap()),
        detail: Detail::new(json!({ "duration_minutes": { "old": 20, "new": 25 } })).unwrap(),
    }
}

/// A fixed salt per entry number: the tests must be reproducible; the store draws them at random.
fn salt(seq: u64) -> PayloadSalt {
    let mut b = [0x5a; 16];
    b[..8].copy_from_slice(&seq.to_be_bytes());
    PayloadSalt::from_bytes(b)
}

/// [`super::chain`] (format 2) with [`salt`].
fn chain(head: ChainHead, record: AuditRecord) -> AuditEntry {
    super::chain(head, record, salt(head.seq + 1))
}

/// Chains `records` from genesis in format 2; returns the entries and the head the store would record.
fn build(records: impl IntoIterator<Item = AuditRecord>) -> (Vec<AuditEntry>, ChainHead) {
    build_from(records, 0)
}

/// Chains `records` from genesis, the first `inline` in format 1 (a log begun before schema v16)
/// and the rest in format 2.
fn build_from(records: impl IntoIterator<Item = AuditRecord>, inline: usize) -> (Vec<AuditEntry>, ChainHead) {
    let mut head = ChainHead::GENESIS;
    let mut entries = Vec::new();
    for (i, r) in records.into_iter().enumerate() {
        let e = if i < inline { chain_inline(head, r) } else { chain(head, r) };
        head = e.head();
        entries.push(e);
    }
    (entries, head)
}

fn sample_chain(n: usize) -> (Vec<AuditEntry>, ChainHead) {
    build((0..n).map(|i| record(&format!("2026-03-02T09:00:{:02}Z", i % 60), "service.update")))
}

fn first_break(entries: &[AuditEntry], head: ChainHead) -> Option<ChainBreak> {
    verify(entries, head).err()
}

// ---------------------------------------------------------------------------------------------
// The canonical encoding

/// The three records both formats' golden hashes are pinned for: every actor kind but the API
/// token, with and without organisation and object, escapes and an empty detail.
fn golden_records() -> [AuditRecord; 3] {
    let mut first = record("2026-03-02T09:00:00.123456Z", "service.update");
    first.detail = Detail::new(json!({
        "name": { "old": "Pas\n", "new": "Pas – \"ny\"" },
        "duration_minutes": { "old": 20, "new": 25 },
        "tags": [null, true, -3],
    }))
    .unwrap();
    let second = AuditRecord {
        at: ts("2026-03-02T09:00:01Z"),
        organisation: None,
        actor: Actor::Anonymous,
        action: action("user.sign_in_failed"),
        object: None,
        detail: Detail::empty(),
    };
    let third = AuditRecord {
        at: ts("2026-03-02T09:00:02Z"),
        organisation: None,
        actor: Actor::System { label: label("cli") },
        action: action("token.revoke"),
        object: Some(ObjectRef::new("api_token", "x").unwrap()),
        detail: Detail::empty(),
    };
    [first, second, third]
}

/// The encoding and the hashes are pinned: changing either breaks every stored chain. The expected
/// values were computed independently (a Python script following the module documentation).
#[test]
fn golden_hashes() {
    let [first, second, third] = golden_records();
    let hex = |b: &[u8]| b.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(
        hex(&first.canonical_bytes()),
        "0100064c06cfcd66400100112233445566778899aabbccddeeff02111111112222333344445555555555550000000f616e\
         6e61406578616d706c652e646b0000000e736572766963652e7570646174650100000007736572766963650000002437\
         663163303030302d303030302d343030302d383030302d3030303030303030303030310000006c7b226475726174696f\
         6e5f6d696e75746573223a7b226e6577223a32352c226f6c64223a32307d2c226e616d65223a7b226e6577223a225061\
         7320e28093205c226e795c22222c226f6c64223a225061735c6e227d2c2274616773223a5b6e756c6c2c747275652c2d\
         335d7d"
    );
    let (entries, head) = build_from([first, second, third], 3);
    let hashes: Vec<String> = entries.iter().map(|e| e.hash.to_hex()).collect();
    assert_eq!(
        hashes,
        [
            "76edcac294e1f953478581098d0b0030085560fb1b28546e9f527d355c365699",
            "066e93a1307bfe981e843068c91646dea91660baa0e8226307d48e597628f8bf",
            "1f0cb5e0bcf26b16f028a7fa0fbde6b1abf1ed077345b987e735589ed90d9f64",
        ]
    );
    assert_eq!(entries[0].prev_hash, ChainHash::GENESIS);
    assert_eq!(entries[2].prev_hash, entries[1].hash);
    assert_eq!(head.seq, 3);
    assert_eq!(verify(&entries, head).unwrap(), VerifySummary { entries: 3, erased: 0, head });
}

/// Format 2 pinned the same way, with the salts of [`salt`]: the commitments and the hashes were
/// computed independently by a Python script following the module documentation.
#[test]
fn golden_hashes_format_2() {
    let (entries, head) = build(golden_records());
    let got: Vec<(String, String)> =
        entries.iter().map(|e| (e.payload.commitment().unwrap().to_hex(), e.hash.to_hex())).collect();
    let want = [
        (
            "eea2b556551f60365dd420ecf4d7f9c21fcdfbf40551b95aade40196ab529071",
            "778681af079d3e1942e798dc464741b8b7f5c00119ebe996307b261589c509b7",
        ),
        (
            "cf1ef9341c9df3aa44933e8eea75e065e741b687d4dfd087fe49eb13e1c19177",
            "6d57e87255f11a6a91807c79d0b61b6106281dee5053c0efe2d34fb48474e952",
        ),
        (
            "9deab5a004eec03085e314c8b5b56758492069635ac8e9f6537045987bf39ad2",
            "52cf51236af7623729c9b89c5385df05d35ca9faea1730404ed544349c185c17",
        ),
    ];
    assert_eq!(got, want.map(|(c, h)| (c.to_owned(), h.to_owned())));
    assert_eq!(verify(&entries, head).unwrap().entries, 3);
}

/// Retention erases payloads: the chain still verifies and counts them; a format 1 entry cannot
/// be erased; the same detail under two salts gives two unrelated commitments, so an erased
/// entry's commitment does not confirm a guessed payload.
#[test]
fn erasing_payloads_keeps_the_chain_verifying() {
    let (mut entries, head) = build_from((0..6).map(|i| record(&format!("2026-03-02T09:00:0{i}Z"), "mail.sent")), 2);
    assert!(!entries[0].erase(), "format 1 cannot be erased");
    assert!(entries[3].erase() && entries[5].erase());
    assert!(!entries[3].erase(), "erased once");
    assert_eq!(entries[3].record.detail, Detail::empty());
    assert!(entries[3].payload.is_erased() && entries[3].payload.salt().is_none());
    let summary = verify(&entries, head).unwrap();
    assert_eq!((summary.entries, summary.erased), (6, 2));

    let detail = Detail::new(json!({ "recipient": "anna@example.dk" })).unwrap();
    assert_ne!(commitment(&salt(1), &detail), commitment(&salt(2), &detail));
    // The header and everything before stay bound: changing the action of an erased entry breaks it.
    entries[3].record.action = action("mail.held");
    assert_eq!(first_break(&entries, head), Some(ChainBreak { seq: 4, kind: BreakKind::HashMismatch }));
}

#[test]
fn payload_columns_round_trip_and_contradictions_are_refused() {
    let c = ChainHash::from_bytes([3; 32]).to_hex();
    let sl = salt(1).to_hex();
    assert_eq!(Payload::from_parts(1, None, None, false), Ok(Payload::Inline));
    assert!(matches!(Payload::from_parts(2, Some(&sl), Some(&c), false), Ok(Payload::Committed { .. })));
    assert!(matches!(Payload::from_parts(2, None, Some(&c), true), Ok(Payload::Erased { .. })));
    use AuditError::{InvalidPayload, InvalidSalt};
    for (format, salt, commitment, erased, want) in [
        (1, None, None, true, InvalidPayload),
        (1, Some(sl.as_str()), None, false, InvalidPayload),
        (2, None, Some(c.as_str()), false, InvalidPayload),
        (2, Some(sl.as_str()), Some(c.as_str()), true, InvalidPayload),
        (2, Some(sl.as_str()), None, false, InvalidPayload),
        (2, Some("zz"), Some(c.as_str()), false, InvalidSalt),
        (3, None, None, false, InvalidPayload),
    ] {
        assert_eq!(Payload::from_parts(format, salt, commitment, erased), Err(want), "{format} {salt:?} {erased}");
    }
}

/// Moving bytes from one field to its neighbour changes the encoding: every field is
/// length-prefixed or tagged.
#[test]
fn encoding_is_unambiguous() {
    let base = record("2026-03-02T09:00:00Z", "service.update");
    let hash = |r: &AuditRecord| chain(ChainHead::GENESIS, r.clone()).hash;
    let mut variants = vec![base.clone()];

    // Label / action boundary: "…dk" + "service.update" vs "…d" + "kservice.update".
    let mut v = base.clone();
    v.actor = Actor::User { id: Uuid::nil(), label: label("anna@example.d") };
    v.action = action("kservice.update");
    variants.push(v);
    let mut v = base.clone();
    v.actor = Actor::User { id: Uuid::nil(), label: label("anna@example.dk") };
    variants.push(v);
    // Object kind / id boundary.
    let mut v = base.clone();
    v.object = Some(ObjectRef::new("servic", "e7f1c0000-0000-4000-8000-000000000001").unwrap());
    variants.push(v);
    // Same id and label, different actor kind.
    let mut v = base.clone();
    v.actor = Actor::ApiToken { id: Uuid::nil(), label: label("anna@example.dk") };
    variants.push(v);
    let mut v = base.clone();
    v.actor = Actor::System { label: label("anna@example.dk") };
    variants.push(v);
    // Absent vs present-but-nil organisation.
    let mut v = base.clone();
    v.organisation = None;
    variants.push(v);
    let mut v = base.clone();
    v.organisation = Some(OrganisationId::from_uuid(Uuid::nil()));
    variants.push(v);
    // A string that looks like an object vs the object.
    let mut v = base.clone();
    v.detail = Detail::new(json!({ "duration_minutes": "{\"old\":20,\"new\":25}" })).unwrap();
    variants.push(v);
    // Integer vs the same digits as a string.
    let mut v = base.clone();
    v.detail = Detail::new(json!({ "duration_minutes": { "old": "20", "new": 25 } })).unwrap();
    variants.push(v);
    // One microsecond later.
    let mut v = base.clone();
    v.at = ts("2026-03-02T09:00:00.000001Z");
    variants.push(v);

    let bytes: std::collections::HashSet<Vec<u8>> = variants.iter().map(AuditRecord::canonical_bytes).collect();
    let hashes: std::collections::HashSet<ChainHash> = variants.iter().map(hash).collect();
    assert_eq!(bytes.len(), variants.len());
    assert_eq!(hashes.len(), variants.len());
    // The same seq and record under another prev hash, or another seq, hash differently too.
    let e = chain(ChainHead::GENESIS, base.clone());
    assert_ne!(chain(ChainHead { seq: 0, hash: e.hash }, base.clone()).hash, e.hash);
    assert_ne!(chain(ChainHead { seq: 1, hash: ChainHash::GENESIS }, base).hash, e.hash);
}

#[test]
fn canonical_json_sorts_escapes_and_matches_serde_json() {
    let d = Detail::new(json!({
        "b": [1, -2, 18446744073709551615u64, -9223372036854775808i64],
        "a": { "z": null, "y": false, "\u{7f}é": "tab\t nul\u{0} bell\u{7} \\ \" / ü 😀" },
        "": "",
    }))
    .unwrap();
    let text = d.to_canonical_json();
    assert_eq!(
        text,
        "{\"\":\"\",\"a\":{\"y\":false,\"z\":null,\"\u{7f}é\":\"tab\\t nul\\u0000 bell\\u0007 \\\\ \\\" / ü 😀\"},\
         \"b\":[1,-2,18446744073709551615,-9223372036854775808]}"
    );
    assert_eq!(text, serde_json::to_string(&d).unwrap());
    assert_eq!(Detail::from_json(&text).unwrap(), d);
}

#[test]
fn detail_limits() {
    assert_eq!(Detail::new(json!([1])), Err(AuditError::DetailNotObject));
    assert_eq!(Detail::new(json!("x")), Err(AuditError::DetailNotObject));
    assert_eq!(Detail::new(json!({ "x": 1.5 })), Err(AuditError::DetailFraction));
    assert_eq!(Detail::new(json!({ "x": [{ "y": 2.0 }] })), Err(AuditError::DetailFraction));
    assert_eq!(Detail::from_json("{\"x\": 1e2}"), Err(AuditError::DetailFraction));
    assert_eq!(Detail::from_json("{\"x\": "), Err(AuditError::DetailNotJson));
    assert_eq!(Detail::from_json("{}").unwrap(), Detail::empty());

    let nested = |levels: usize| {
        // `levels` objects, one inside the other.
        let mut v = json!({});
        for _ in 1..levels {
            v = json!({ "n": v });
        }
        v
    };
    assert!(Detail::new(nested(MAX_DETAIL_DEPTH)).is_ok());
    assert_eq!(Detail::new(nested(MAX_DETAIL_DEPTH + 1)), Err(AuditError::DetailTooDeep { max: MAX_DETAIL_DEPTH }));

    // `{"s":"…"}` is 8 bytes of framing.
    assert!(Detail::new(json!({ "s": "x".repeat(MAX_DETAIL_BYTES - 8) })).is_ok());
    assert_eq!(
        Detail::new(json!({ "s": "x".repeat(MAX_DETAIL_BYTES - 7) })),
        Err(AuditError::DetailTooLarge { max: MAX_DETAIL_BYTES })
    );
    // Escapes count as written.
    assert!(Detail::new(json!({ "s": "\n".repeat(MAX_DETAIL_BYTES / 2) })).is_err());
}

#[test]
fn actions_and_identifiers() {
    for ok in ["service.update", "user.sign_in_failed", "a.b", "role.grant", "x1.y_2.z3", "message.sent"] {
        assert_eq!(Action::new(ok).unwrap().as_str(), ok);
    }
    let long_ok = format!("a.{}", "b".repeat(62));
    assert!(Action::new(&long_ok).is_ok());
    for bad in [
        "",
        "service",
        "Service.update",
        "service.",
        ".update",
        "service..update",
        "service.1update",
        "_a.b",
        "service.up-date",
        "service.update ",
        "tjeneste.ændr",
        &format!("a.{}", "b".repeat(63)),
    ] {
        assert_eq!(Action::new(bad), Err(AuditError::InvalidAction), "{bad:?}");
    }
    assert!(serde_json::from_str::<Action>("\"Service.update\"").is_err());

    assert!(ObjectRef::new("role_grant", "a").is_ok());
    assert_eq!(ObjectRef::new("role.grant", "a"), Err(AuditError::InvalidObjectKind));
    assert_eq!(ObjectRef::new("", "a"), Err(AuditError::InvalidObjectKind));
    assert_eq!(ObjectRef::new("user", ""), Err(AuditError::InvalidObjectId));
    assert_eq!(ObjectRef::new("user", "a\nb"), Err(AuditError::InvalidObjectId));
    assert!(ObjectRef::new("user", &"ø".repeat(128)).is_ok());
    assert_eq!(ObjectRef::new("user", &"ø".repeat(129)), Err(AuditError::InvalidObjectId));
    assert!(serde_json::from_str::<ObjectRef>(r#"{"kind":"User","id":"1"}"#).is_err());

    assert!(Label::new("Søren Ørsted <s@kommune.dk>").is_ok());
    assert_eq!(Label::new(""), Err(AuditError::InvalidLabel));
    assert_eq!(Label::new("a\u{0}b"), Err(AuditError::InvalidLabel));
    assert_eq!(Label::new(&"x".repeat(257)), Err(AuditError::InvalidLabel));
}

#[test]
fn actor_columns_round_trip() {
    let id = uuid("11111111-2222-3333-4444-555555555555");
    for actor in [
        Actor::User { id, label: label("anna@example.dk") },
        Actor::ApiToken { id, label: label("CI deploy") },
        Actor::System { label: label("outbox") },
        Actor::Anonymous,
    ] {
        assert_eq!(Actor::from_parts(actor.kind(), actor.id(), actor.label()).unwrap(), actor);
    }
    assert_eq!(Actor::from_parts("user", None, "a"), Err(AuditError::InvalidActor));
    assert_eq!(Actor::from_parts("system", Some(id), "a"), Err(AuditError::InvalidActor));
    assert_eq!(Actor::from_parts("anonymous", None, "someone"), Err(AuditError::InvalidActor));
    assert_eq!(Actor::from_parts("root", None, "a"), Err(AuditError::InvalidActor));
    assert_eq!(Actor::from_parts("system", None, ""), Err(AuditError::InvalidLabel));
}

#[test]
fn chain_hash_hex() {
    let h = ChainHash::from_bytes(std::array::from_fn(|i| (i * 9) as u8));
    let hex = h.to_hex();
    assert_eq!(hex.len(), 64);
    assert_eq!(ChainHash::from_hex(&hex), Ok(h));
    assert_eq!(hex.parse::<ChainHash>(), Ok(h));
    assert_eq!(h.to_string(), hex);
    assert_eq!(ChainHash::GENESIS.to_hex(), "0".repeat(64));
    assert_eq!(ChainHash::from_hex(&hex.to_uppercase()), Err(AuditError::InvalidHash));
    assert_eq!(ChainHash::from_hex(&hex[..62]), Err(AuditError::InvalidHash));
    assert_eq!(ChainHash::from_hex(&format!("{hex}0")), Err(AuditError::InvalidHash));
    assert_eq!(ChainHash::from_hex(&format!("{}g", &hex[..63])), Err(AuditError::InvalidHash));
    assert_eq!(ChainHash::from_hex(&format!("{}é", &hex[..62])), Err(AuditError::InvalidHash));
}

#[test]
fn chain_numbers_links_and_cuts_to_microseconds() {
    let (entries, head) = sample_chain(3);
    assert_eq!(entries.iter().map(|e| e.seq).collect::<Vec<_>>(), [1, 2, 3]);
    assert_eq!(entries[1].prev_hash, entries[0].hash);
    assert_eq!(head, entries[2].head());

    let e = chain(ChainHead::GENESIS, record("2026-03-02T09:00:00.123456789Z", "service.update"));
    assert_eq!(e.record.at, ts("2026-03-02T09:00:00.123456Z"));
    assert_eq!(verify([&e], e.head()).unwrap().entries, 1);
}

#[test]
fn serde_shapes() {
    let (entries, head) = sample_chain(2);
    let v = serde_json::to_value(&entries[1]).unwrap();
    assert_eq!(v["seq"], 2);
    assert_eq!(v["at"], "2026-03-02T09:00:01Z");
    assert_eq!(v["organisation"], "00112233-4455-6677-8899-aabbccddeeff");
    assert_eq!(
        v["actor"],
        json!({ "type": "user", "id": "11111111-2222-3333-4444-555555555555", "label": "anna@example.dk" })
    );
    assert_eq!(v["action"], "service.update");
    assert_eq!(v["object"], json!({ "kind": "service", "id": "7f1c0000-0000-4000-8000-000000000001" }));
    assert_eq!(v["detail"], json!({ "duration_minutes": { "old": 20, "new": 25 } }));
    assert_eq!(v["prev_hash"], entries[0].hash.to_hex());
    assert_eq!(v["hash"], head.hash.to_hex());
    let back: AuditEntry = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(back, entries[1]);

    let mut bad = v;
    bad["detail"] = json!([1]);
    assert!(serde_json::from_value::<AuditEntry>(bad).is_err());

    let b = ChainBreak { seq: 4, kind: BreakKind::SeqGap { found: 6 } };
    assert_eq!(serde_json::to_value(b).unwrap(), json!({ "seq": 4, "kind": "seq_gap", "found": 6 }));
    assert_eq!(serde_json::to_value(head).unwrap(), json!({ "seq": 2, "hash": head.hash.to_hex() }));
}

// ---------------------------------------------------------------------------------------------
// Verification

#[test]
fn empty_log() {
    assert_eq!(
        verify([], ChainHead::GENESIS).unwrap(),
        VerifySummary { entries: 0, erased: 0, head: ChainHead::GENESIS }
    );
    let (_, head) = sample_chain(3);
    assert_eq!(verify([], head).unwrap_err(), ChainBreak { seq: 1, kind: BreakKind::Truncated { recorded_seq: 3 } });
}

#[test]
fn each_kind_names_the_first_bad_entry() {
    let (entries, head) = sample_chain(6);

    let mut edited = entries.clone();
    edited[2].record.action = action("service.delete");
    edited[4].record.action = action("service.delete");
    let b = first_break(&edited, head).unwrap();
    assert_eq!(b, ChainBreak { seq: 3, kind: BreakKind::HashMismatch });
    assert_eq!(b.to_string(), "audit entry 3 was altered: its hash does not match its contents");

    let mut deleted = entries.clone();
    deleted.drain(1..3);
    let b = first_break(&deleted, head).unwrap();
    assert_eq!(b, ChainBreak { seq: 2, kind: BreakKind::SeqGap { found: 4 } });
    assert_eq!(b.to_string(), "audit entries 2–3 are missing (entry 4 comes next): they were deleted");

    let mut deleted = entries.clone();
    deleted.remove(0);
    let b = first_break(&deleted, head).unwrap();
    assert_eq!(b.to_string(), "audit entry 1 is missing (entry 2 comes next): it was deleted");

    let mut renumbered = entries.clone();
    renumbered.remove(2);
    for e in &mut renumbered[2..] {
        e.seq -= 1;
    }
    let b = first_break(&renumbered, head).unwrap();
    assert_eq!(b, ChainBreak { seq: 3, kind: BreakKind::PrevMismatch });
    assert_eq!(
        b.to_string(),
        "audit entry 3 does not follow entry 2: an entry was deleted or replaced, or rows were reordered"
    );

    let mut out_of_order = entries.clone();
    out_of_order.swap(3, 4);
    let b = first_break(&out_of_order, head).unwrap();
    assert_eq!(b, ChainBreak { seq: 4, kind: BreakKind::SeqGap { found: 5 } });
    let mut repeated = entries.clone();
    repeated.insert(3, entries[2].clone());
    let b = first_break(&repeated, head).unwrap();
    assert_eq!(b, ChainBreak { seq: 4, kind: BreakKind::OutOfOrder { found: 3 } });
    assert_eq!(b.to_string(), "audit entry 4 expected, entry 3 found: rows are out of order or repeated");

    let truncated = &entries[..4];
    let b = first_break(truncated, head).unwrap();
    assert_eq!(b, ChainBreak { seq: 5, kind: BreakKind::Truncated { recorded_seq: 6 } });
    assert_eq!(
        b.to_string(),
        "audit entries 5–6 are missing: the log ends before its recorded head; the newest entries were deleted"
    );
    let b = first_break(&entries[..5], head).unwrap();
    assert_eq!(b.to_string(), "audit entry 6 is missing: the log ends before its recorded head; it was deleted");

    // The newest entry rewritten with a fresh hash: only the recorded head tells.
    let mut rewritten = entries.clone();
    let mut r = rewritten[5].record.clone();
    r.detail = Detail::empty();
    rewritten[5] = chain(rewritten[4].head(), r);
    let b = first_break(&rewritten, head).unwrap();
    assert_eq!(b, ChainBreak { seq: 6, kind: BreakKind::HeadMismatch });
    assert_eq!(
        b.to_string(),
        "audit entry 6 does not match the recorded head: the newest entry or the head was rewritten"
    );

    let b = first_break(&entries, entries[3].head()).unwrap();
    assert_eq!(b, ChainBreak { seq: 5, kind: BreakKind::BeyondHead { recorded_seq: 4 } });
    assert_eq!(b.to_string(), "audit entry 5 lies beyond the recorded head (entry 4): it was not appended by Skranke");

    let mut first_replaced = entries.clone();
    first_replaced[0].prev_hash = entries[0].hash;
    let b = first_break(&first_replaced, head).unwrap();
    assert_eq!(b, ChainBreak { seq: 1, kind: BreakKind::PrevMismatch });
    assert_eq!(b.to_string(), "audit entry 1 does not start the chain: entries before it were deleted or replaced");
}

#[test]
fn verifier_remembers_the_first_break() {
    let (entries, head) = sample_chain(4);
    let mut tampered = entries.clone();
    tampered[1].hash = ChainHash::GENESIS;
    let mut v = Verifier::new();
    v.push(&tampered[0]).unwrap();
    let first = v.push(&tampered[1]).unwrap_err();
    assert_eq!(first, ChainBreak { seq: 2, kind: BreakKind::HashMismatch });
    assert_eq!(v.push(&tampered[2]), Err(first));
    assert_eq!(v.head(), entries[0].head());
    assert_eq!(v.finish(head), Err(first));
}

#[test]
fn resume_from_a_checked_head() {
    let (entries, head) = sample_chain(6);
    let mut v = Verifier::resume(entries[2].head());
    for e in &entries[3..] {
        v.push(e).unwrap();
    }
    assert_eq!(v.finish(head).unwrap(), VerifySummary { entries: 3, erased: 0, head });

    // A log rewritten before the exported head fails from the resume point, although it is
    // consistent in itself and matches its own recorded head.
    let mut records: Vec<AuditRecord> = entries.iter().map(|e| e.record.clone()).collect();
    records[1].detail = Detail::empty();
    let (rewritten, rewritten_head) = build(records);
    assert!(verify(&rewritten, rewritten_head).is_ok());
    let mut v = Verifier::resume(entries[2].head());
    assert_eq!(v.push(&rewritten[3]), Err(ChainBreak { seq: 4, kind: BreakKind::PrevMismatch }));

    let summary = Verifier::resume(head).finish_unanchored().unwrap();
    assert_eq!(summary, VerifySummary { entries: 0, erased: 0, head });
}

// ---------------------------------------------------------------------------------------------
// Properties

fn arb_label() -> impl Strategy<Value = Label> {
    "[a-zæøå@. <>\"]{1,12}".prop_map(|s| Label::new(&s).unwrap())
}

fn arb_uuid() -> impl Strategy<Value = Uuid> {
    any::<[u8; 16]>().prop_map(Uuid::from_bytes)
}

fn arb_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        (arb_uuid(), arb_label()).prop_map(|(id, label)| Actor::User { id, label }),
        (arb_uuid(), arb_label()).prop_map(|(id, label)| Actor::ApiToken { id, label }),
        arb_label().prop_map(|label| Actor::System { label }),
        Just(Actor::Anonymous),
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let text = proptest::collection::vec(any::<char>(), 0..8).prop_map(String::from_iter);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        text.prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map("[a-c\"\\\\é]{0,3}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

fn arb_detail() -> impl Strategy<Value = Detail> {
    proptest::collection::btree_map("[a-c\"\\\\é]{0,3}", arb_json(), 0..4)
        .prop_map(|m| Detail::from_map(m.into_iter().collect()).unwrap())
}

fn arb_record() -> impl Strategy<Value = AuditRecord> {
    (
        -1_000_000_000_000_000i64..4_102_444_800_000_000,
        proptest::option::of(arb_uuid().prop_map(OrganisationId::from_uuid)),
        arb_actor(),
        "[a-z][a-z0-9_]{0,5}(\\.[a-z][a-z0-9_]{0,5}){1,2}".prop_map(|s| Action::new(&s).unwrap()),
        proptest::option::of(("[a-z][a-z0-9_]{0,5}", "\\PC{1,10}").prop_map(|(k, i)| ObjectRef::new(&k, &i).unwrap())),
        arb_detail(),
    )
        .prop_map(|(micros, organisation, actor, action, object, detail)| AuditRecord {
            at: Timestamp::from_microsecond(micros).unwrap(),
            organisation,
            actor,
            action,
            object,
            detail,
        })
}

/// One way of tampering with the stored rows.
#[derive(Clone, Copy, Debug)]
enum Tamper {
    /// Change one field of the entry, leaving its stored hash.
    Edit(Field),
    /// Change one field and recompute that entry's hash (but nothing after it).
    EditAndRehash,
    /// Delete the row (the recorded head stays).
    Delete,
    /// Delete the row and renumber the later rows to close the gap.
    DeleteAndRenumber,
    /// Swap the contents of this row and another, each keeping its place in `seq` order.
    SwapContents,
    /// Swap this row and another, each keeping its `seq` (as read in storage order).
    SwapRows,
    /// Give the entry another number, `seq + d` (d ≠ 0).
    Renumber(i64),
    /// Rewrite the chain from this entry on (an attacker with write access), without and with
    /// moving the recorded head.
    RewriteFrom { move_head: bool },
    /// Append a well-formed entry without moving the head.
    AppendUnrecorded,
    /// Erase a format 2 payload, as retention does: not a break.
    Erase,
    /// Erase a payload, then put a different detail back.
    EraseThenRefill,
    /// Replace a payload and its commitment, then mark it erased.
    RecommitErased,
}

#[derive(Clone, Copy, Debug)]
enum Field {
    At,
    Organisation,
    Actor,
    Action,
    Object,
    Detail,
    PrevHash,
    Hash,
}

fn arb_tamper() -> impl Strategy<Value = Tamper> {
    let field = prop_oneof![
        Just(Field::At),
        Just(Field::Organisation),
        Just(Field::Actor),
        Just(Field::Action),
        Just(Field::Object),
        Just(Field::Detail),
        Just(Field::PrevHash),
        Just(Field::Hash),
    ];
    prop_oneof![
        4 => field.prop_map(Tamper::Edit),
        1 => Just(Tamper::EditAndRehash),
        1 => Just(Tamper::Delete),
        1 => Just(Tamper::DeleteAndRenumber),
        1 => Just(Tamper::SwapContents),
        1 => Just(Tamper::SwapRows),
        1 => prop_oneof![-3i64..0, 1i64..4].prop_map(Tamper::Renumber),
        1 => any::<bool>().prop_map(|move_head| Tamper::RewriteFrom { move_head }),
        1 => Just(Tamper::AppendUnrecorded),
        1 => Just(Tamper::Erase),
        1 => Just(Tamper::EraseThenRefill),
        1 => Just(Tamper::RecommitErased),
    ]
}

/// Changes the record so that it is certainly different.
fn alter(record: &mut AuditRecord, field: Field) {
    match field {
        Field::At => record.at = record.at.checked_add(jiff::SignedDuration::from_micros(1)).unwrap(),
        Field::Organisation => {
            record.organisation = match record.organisation {
                None => Some(OrganisationId::from_uuid(Uuid::nil())),
                Some(_) => None,
            }
        }
        Field::Actor => {
            record.actor = match record.actor {
                Actor::Anonymous => Actor::System { label: label("cli") },
                _ => Actor::Anonymous,
            }
        }
        Field::Action => record.action = Action::new(&format!("{}x", record.action)).unwrap(),
        Field::Object => {
            record.object = match record.object {
                None => Some(ObjectRef::new("user", "1").unwrap()),
                Some(_) => None,
            }
        }
        Field::Detail => {
            let mut map = record.detail.as_map().clone();
            map.insert("tampered".to_owned(), Value::Bool(true));
            record.detail = Detail::from_map(map).unwrap();
        }
        Field::PrevHash | Field::Hash => unreachable!("not a record field"),
    }
}

fn flip(h: &mut ChainHash) {
    let mut b = *h.as_bytes();
    b[7] ^= 0x10;
    *h = ChainHash::from_bytes(b);
}

/// Applies `tamper` at index `k` (`other` picks a second index); returns the rows, the recorded
/// head, and the expected first break (None when the tampering is undetectable by design).
fn apply(
    entries: &[AuditEntry],
    head: ChainHead,
    k: usize,
    other: usize,
    tamper: Tamper,
) -> Option<(Vec<AuditEntry>, ChainHead, Option<ChainBreak>)> {
    let n = entries.len() as u64;
    let seq = k as u64 + 1;
    let mut rows = entries.to_vec();
    let brk = |seq, kind| Some(ChainBreak { seq, kind });
    let expected = match tamper {
        Tamper::Edit(Field::PrevHash) => {
            flip(&mut rows[k].prev_hash);
            brk(seq, BreakKind::PrevMismatch)
        }
        Tamper::Edit(Field::Hash) => {
            flip(&mut rows[k].hash);
            brk(seq, BreakKind::HashMismatch)
        }
        Tamper::Edit(field) => {
            alter(&mut rows[k].record, field);
            let kind = match (field, rows[k].payload) {
                // The chain covers a format 2 detail through its commitment.
                (Field::Detail, Payload::Committed { .. }) => BreakKind::PayloadMismatch,
                _ => BreakKind::HashMismatch,
            };
            brk(seq, kind)
        }
        Tamper::Erase => {
            // Retention's erasure: allowed, detectable only as a count.
            if !rows[k].erase() {
                return None;
            }
            None
        }
        Tamper::EraseThenRefill => {
            // An erased entry given back a (false) detail.
            if !rows[k].erase() {
                return None;
            }
            alter(&mut rows[k].record, Field::Detail);
            brk(seq, BreakKind::PayloadMismatch)
        }
        Tamper::RecommitErased => {
            // A payload replaced together with its commitment, then "erased" to hide it.
            let Payload::Committed { salt, .. } = rows[k].payload else { return None };
            alter(&mut rows[k].record, Field::Detail);
            rows[k].payload = Payload::Committed { salt, commitment: super::commitment(&salt, &rows[k].record.detail) };
            rows[k].erase();
            brk(seq, BreakKind::HashMismatch)
        }
        Tamper::EditAndRehash => {
            let mut r = rows[k].record.clone();
            alter(&mut r, Field::Detail);
            let prev = ChainHead { seq: seq - 1, hash: rows[k].prev_hash };
            rows[k] = chain(prev, r);
            if seq == n { brk(n, BreakKind::HeadMismatch) } else { brk(seq + 1, BreakKind::PrevMismatch) }
        }
        Tamper::Delete => {
            rows.remove(k);
            if seq == n {
                brk(n, BreakKind::Truncated { recorded_seq: n })
            } else {
                brk(seq, BreakKind::SeqGap { found: seq + 1 })
            }
        }
        Tamper::DeleteAndRenumber => {
            rows.remove(k);
            for r in &mut rows[k..] {
                r.seq -= 1;
            }
            if seq == n { brk(n, BreakKind::Truncated { recorded_seq: n }) } else { brk(seq, BreakKind::PrevMismatch) }
        }
        Tamper::SwapContents | Tamper::SwapRows => {
            if other == k {
                return None;
            }
            let (i, j) = (k.min(other), k.max(other));
            rows.swap(i, j);
            if matches!(tamper, Tamper::SwapContents) {
                rows[i].seq = i as u64 + 1;
                rows[j].seq = j as u64 + 1;
                brk(i as u64 + 1, BreakKind::PrevMismatch)
            } else {
                brk(i as u64 + 1, BreakKind::SeqGap { found: j as u64 + 1 })
            }
        }
        Tamper::Renumber(d) => {
            let new = seq.checked_add_signed(d)?;
            rows[k].seq = new;
            if new > seq {
                brk(seq, BreakKind::SeqGap { found: new })
            } else {
                brk(seq, BreakKind::OutOfOrder { found: new })
            }
        }
        Tamper::RewriteFrom { move_head } => {
            let mut records: Vec<AuditRecord> = rows.iter().map(|e| e.record.clone()).collect();
            alter(&mut records[k], Field::Detail);
            let (rewritten, new_head) = build(records);
            rows = rewritten;
            if move_head {
                return Some((rows, new_head, None));
            }
            brk(n, BreakKind::HeadMismatch)
        }
        Tamper::AppendUnrecorded => {
            let extra = chain(head, rows[k].record.clone());
            rows.push(extra);
            brk(n + 1, BreakKind::BeyondHead { recorded_seq: n })
        }
    };
    Some((rows, head, expected))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn a_chain_of_random_records_verifies(records in proptest::collection::vec(arb_record(), 0..12)) {
        let (entries, head) = build(records.clone());
        prop_assert_eq!(verify(&entries, head), Ok(VerifySummary { entries: records.len() as u64, erased: 0, head }));
        for (e, r) in entries.iter().zip(&records) {
            prop_assert_eq!(&e.record, r);
        }
        // Through JSON (the HTTP layer) and the store's columns, entries stay verifiable.
        let json = serde_json::to_string(&entries).unwrap();
        let back: Vec<AuditEntry> = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(verify(&back, head), Ok(VerifySummary { entries: records.len() as u64, erased: 0, head }));
        for e in &entries {
            let r = &e.record;
            let detail = Detail::from_json(&r.detail.to_canonical_json()).unwrap();
            let actor = Actor::from_parts(r.actor.kind(), r.actor.id(), r.actor.label()).unwrap();
            let object = r.object.as_ref().map(|o| ObjectRef::new(o.kind(), o.id()).unwrap());
            let rebuilt = AuditEntry {
                seq: e.seq,
                record: AuditRecord {
                    at: Timestamp::from_microsecond(r.at.as_microsecond()).unwrap(),
                    organisation: r.organisation,
                    actor,
                    action: Action::new(r.action.as_str()).unwrap(),
                    object,
                    detail,
                },
                payload: Payload::from_parts(
                    e.payload.format(),
                    e.payload.salt().map(|s| s.to_hex()).as_deref(),
                    e.payload.commitment().map(|c| c.to_hex()).as_deref(),
                    e.payload.is_erased(),
                )
                .unwrap(),
                prev_hash: ChainHash::from_hex(&e.prev_hash.to_hex()).unwrap(),
                hash: ChainHash::from_hex(&e.hash.to_hex()).unwrap(),
            };
            prop_assert_eq!(&rebuilt, e);
        }
    }

    #[test]
    fn every_tampering_is_caught_at_the_first_bad_entry(
        records in proptest::collection::vec(arb_record(), 1..10),
        k in any::<proptest::sample::Index>(),
        other in any::<proptest::sample::Index>(),
        inline in any::<proptest::sample::Index>(),
        tamper in arb_tamper(),
    ) {
        let inline = inline.index(records.len() + 1);
        let (entries, head) = build_from(records, inline);
        let (k, other) = (k.index(entries.len()), other.index(entries.len()));
        let Some((rows, recorded, expected)) = apply(&entries, head, k, other, tamper) else {
            return Ok(());
        };
        let got = verify(&rows, recorded).err();
        prop_assert_eq!(got, expected, "{:?} at index {}", tamper, k);
        if let Some(b) = got {
            prop_assert!(b.to_string().contains(&b.seq.to_string()));
        }
    }

    #[test]
    fn canonical_encoding_is_injective(a in arb_record(), b in arb_record(), field in 0usize..6) {
        prop_assert_eq!(a == b, a.canonical_bytes() == b.canonical_bytes());
        // A record and a copy differing in one field (the likelier near-collision).
        let mut c = a.clone();
        match field {
            0 => c.at = b.at,
            1 => c.organisation = b.organisation,
            2 => c.actor = b.actor.clone(),
            3 => c.action = b.action.clone(),
            4 => c.object = b.object.clone(),
            _ => c.detail = b.detail.clone(),
        }
        prop_assert_eq!(a == c, a.canonical_bytes() == c.canonical_bytes());
    }

    #[test]
    fn canonical_json_agrees_with_serde_json(detail in arb_detail()) {
        let text = detail.to_canonical_json();
        prop_assert_eq!(&text, &serde_json::to_string(&detail).unwrap());
        prop_assert_eq!(Detail::from_json(&text).unwrap(), detail);
    }
}
