//! Writes the generated part of `corpora/lookalikes.tsv`, `corpora/negatives.tsv` and
//! `corpora/typos.tsv`, keeping every hand-made row (`source` = `hand`) as it is.
//!
//! ```text
//! cargo run -p skranke-recipient --example gen_corpora
//! ```
//!
//! The variants are built by construction from the built-in lists (truncate, swap, substitute …),
//! never by asking the checker what it finds; the checker is only asked whether a variant happens
//! to be a known real domain, which is then left out (it is a real organisation, not a lookalike).
//! Output is deterministic: same lists, same files.
#![allow(clippy::print_stdout)]

use std::collections::BTreeSet;
use std::error::Error;
use std::path::{Path, PathBuf};

use skranke_recipient::lookalike::{ProtectedSet, Verdict, known};

type Rows = Vec<[String; 4]>;

fn corpora() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpora")
}

/// The hand-made rows of an existing corpus file (and its header).
fn hand_rows(path: &Path, columns: usize) -> Vec<Vec<String>> {
    let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
    text.lines()
        .skip(1)
        .map(|line| line.split('\t').map(str::to_owned).collect::<Vec<_>>())
        .filter(|fields| fields.len() == columns && fields.last().is_some_and(|s| s == "hand"))
        .collect()
}

fn write(path: &Path, header: &str, hand: &[Vec<String>], generated: &[Vec<String>]) -> Result<(), Box<dyn Error>> {
    let mut out = String::from(header);
    out.push('\n');
    for row in hand.iter().chain(generated) {
        out.push_str(&row.join("\t"));
        out.push('\n');
    }
    std::fs::write(path, out)?;
    println!("{}: {} hand + {} generated rows", path.display(), hand.len(), generated.len());
    Ok(())
}

/// Cyrillic and Greek letters whose UTS #39 prototype is a Latin letter.
const CYRILLIC: &[(char, char)] = &[
    ('a', 'а'),
    ('e', 'е'),
    ('o', 'о'),
    ('p', 'р'),
    ('c', 'с'),
    ('x', 'х'),
    ('y', 'у'),
    ('i', 'і'),
    ('j', 'ј'),
    ('s', 'ѕ'),
    ('h', 'һ'),
    ('d', 'ԁ'),
    ('l', 'ӏ'),
];
const GREEK: &[(char, char)] = &[('o', 'ο'), ('a', 'α'), ('i', 'ι'), ('v', 'ν'), ('p', 'ρ'), ('u', 'υ')];
const KEYBOARD: [&str; 3] = ["qwertyuiopå", "asdfghjklæø", "zxcvbnm"];

fn neighbour(c: char) -> Option<char> {
    let (row, col) =
        KEYBOARD.iter().enumerate().find_map(|(r, keys)| keys.chars().position(|k| k == c).map(|p| (r, p)))?;
    KEYBOARD[row].chars().nth(col + 1).or_else(|| col.checked_sub(1).and_then(|p| KEYBOARD[row].chars().nth(p)))
}

fn replace_at(label: &str, at: usize, with: &str) -> String {
    label.chars().enumerate().map(|(i, c)| if i == at { with.to_owned() } else { c.to_string() }).collect()
}

fn lookalikes(set: &ProtectedSet) -> Rows {
    let mut rows: Rows = Vec::new();
    let mut push = |domain: String, class: &str, resembles: &str| {
        rows.push([domain, class.to_owned(), resembles.to_owned(), "generated".to_owned()]);
    };
    let protected: Vec<String> = set.protected().map(str::to_owned).collect();
    for domain in &protected {
        let Some((label, suffix)) = domain.split_once('.') else { continue };
        let chars: Vec<char> = label.chars().collect();
        let n = chars.len();
        let provider = known::PROVIDERS.iter().any(|p| p.ends_with(domain.as_str()));
        let state = known::STATE.contains(&domain.as_str());
        let municipal = !provider && !state;
        // The documented reach of TLD swaps, compounds and hyphenations: labels of at least 3
        // characters for municipalities and regions, 4 for state services, 5 for providers.
        let min_affix = if provider {
            5
        } else if state {
            4
        } else {
            3
        };
        // Truncations: every proper prefix of at least 3 characters.
        for end in 3..n {
            push(format!("{}.{suffix}", chars[..end].iter().collect::<String>()), "truncation", domain);
        }
        // Homoglyphs: one Cyrillic letter, one Greek letter, everything Cyrillic, the punycode form,
        // and the ASCII look-alikes 0/o, 1/l, rn/m.
        if let Some(at) = chars.iter().position(|c| CYRILLIC.iter().any(|(l, _)| l == c)) {
            let with = CYRILLIC.iter().find(|(l, _)| *l == chars[at]).map(|(_, g)| g.to_string()).unwrap_or_default();
            let variant = format!("{}.{suffix}", replace_at(label, at, &with));
            if let Ok(ascii) = idna::domain_to_ascii(&variant) {
                push(ascii, "homoglyph", domain);
            }
            push(variant, "homoglyph", domain);
            let all: String =
                chars.iter().map(|c| CYRILLIC.iter().find(|(l, _)| l == c).map_or(*c, |(_, g)| *g)).collect();
            push(format!("{all}.{suffix}"), "homoglyph", domain);
        }
        if let Some(at) = chars.iter().rposition(|c| GREEK.iter().any(|(l, _)| l == c)) {
            let with = GREEK.iter().find(|(l, _)| *l == chars[at]).map(|(_, g)| g.to_string()).unwrap_or_default();
            push(format!("{}.{suffix}", replace_at(label, at, &with)), "homoglyph", domain);
        }
        for (from, to) in [("o", "0"), ("l", "1"), ("m", "rn"), ("rn", "m")] {
            if label.contains(from) {
                push(format!("{}.{suffix}", label.replacen(from, to, 1)), "homoglyph", domain);
            }
        }
        if n >= 4 {
            // One keyboard slip in the middle, one swapped pair, one unrelated substitution.
            let mid = n / 2;
            if let Some(near) = neighbour(chars[mid]) {
                push(format!("{}.{suffix}", replace_at(label, mid, &near.to_string())), "keyboard-neighbour", domain);
            }
            if let Some(at) = (1..n - 1).find(|&i| chars[i] != chars[i + 1]) {
                let mut swapped = chars.clone();
                swapped.swap(at, at + 1);
                push(format!("{}.{suffix}", swapped.iter().collect::<String>()), "transposition", domain);
            }
            let far = ['q', 'z', 'x', 'j', 'w']
                .into_iter()
                .find(|&c| c != chars[mid] && neighbour(chars[mid]) != Some(c) && neighbour(c) != Some(chars[mid]));
            if let Some(far) = far {
                push(format!("{}.{suffix}", replace_at(label, mid, &far.to_string())), "edit-distance", domain);
            }
            if n >= 8 {
                let two: String =
                    chars.iter().enumerate().filter(|(i, _)| *i != 1 && *i != n - 2).map(|(_, c)| *c).collect();
                push(format!("{two}.{suffix}"), "edit-distance", domain);
            }
        }
        if n >= min_affix {
            for tld in ["com", "net", "org", "de", "eu", "se", "nu", "dk"] {
                if tld != suffix {
                    push(format!("{label}.{tld}"), "tld-swap", domain);
                }
            }
        }
        let typos: &[&str] = match suffix {
            "dk" => &["dl", "kd", "dkk", "ddk", "d", "xk"],
            "com" => &["con", "cmo", "comm", "ocm", "cpm"],
            "net" => &["nte", "nett"],
            _ => &[],
        };
        for tld in typos {
            push(format!("{label}.{tld}"), "tld-typo", domain);
        }
        let dotless: String = suffix.split('.').collect();
        push(format!("www{label}.{suffix}"), "missing-dot", domain);
        push(format!("{label}{dotless}.com"), "missing-dot", domain);
        push(format!("{domain}.evil.com"), "extra-label", domain);
        push(format!("{domain}.{suffix}"), "extra-label", domain);
        push(format!("mail.{domain}.secure-login.net"), "extra-label", domain);
        if municipal && n >= 5 {
            push(format!("{label}.mail-service.net"), "extra-label", domain);
        }
        if n >= min_affix.max(4) {
            let affixed = if municipal { ["kommune", "borgerservice"] } else { ["login", "support"] };
            push(format!("{label}{}.{suffix}", affixed[0]), "compound", domain);
            push(format!("min{label}.{suffix}"), "compound", domain);
            push(format!("{label}-{}.{suffix}", affixed[1]), "hyphenation", domain);
            push(format!("mail-{label}.{suffix}"), "hyphenation", domain);
        }
        if n >= 6 && !label.contains('-') {
            let half: String = chars[..n / 2].iter().chain(['-'].iter()).chain(&chars[n / 2..]).collect();
            push(format!("{half}.{suffix}"), "hyphenation", domain);
        }
    }
    // Danish spellings and names of every municipality.
    for municipality in known::MUNICIPALITIES {
        let Some(domain) = municipality.domains.first() else { continue };
        let Some((label, suffix)) = domain.split_once('.') else { continue };
        let name = municipality.name.to_lowercase();
        let mut forms = BTreeSet::new();
        for base in [name.clone(), name.replace('-', ""), label.to_owned()] {
            forms.insert(base.replace('ø', "oe").replace('å', "aa").replace('æ', "ae"));
            forms.insert(base.replace('ø', "o").replace('å', "a").replace('æ', "e"));
            forms.insert(base.replace("oe", "ø").replace("aa", "å").replace("ae", "æ"));
            forms.insert(base.replace("oe", "o").replace("aa", "a").replace("ae", "e"));
            forms.insert(base);
        }
        for form in forms.into_iter().filter(|f| f != label && !f.contains(' ')) {
            push(format!("{form}.{suffix}"), "name-variant", domain);
        }
    }
    let mut seen = BTreeSet::new();
    let mut kept: Rows = Vec::new();
    for row in rows {
        if seen.insert(row[0].clone()) && !matches!(set.check(&row[0]), Verdict::Known { .. }) {
            kept.push(row);
        }
    }
    kept
}

const TRADES: &[&str] = &[
    "bageriet",
    "bager",
    "tandlaege",
    "frisoer",
    "cykler",
    "auto",
    "el",
    "vvs",
    "maler",
    "toemrer",
    "blomster",
    "pizza",
    "kiosk",
    "fysioterapi",
    "advokat",
    "revision",
    "ejendomme",
    "golfklub",
    "if",
    "boldklub",
    "teater",
    "kirke",
    "skole",
    "efterskole",
    "boligforening",
    "vinhandel",
    "slagter",
    "fisk",
    "optik",
    "dyrlaege",
    "kro",
    "hotel",
    "camping",
    "marina",
    "rideklub",
    "sejlklub",
    "musik",
    "kunst",
    "foto",
    "byg",
    "tag",
    "gulv",
    "rengoering",
    "vognmand",
    "taxi",
    "tandklinik",
    "klinik",
    "apotek",
    "boghandel",
    "guld",
    "ur",
    "sko",
    "toej",
    "moebler",
    "koekken",
    "have",
    "anlaeg",
];
const FIRST_NAMES: &[&str] = &[
    "anne", "peter", "mette", "jens", "hanne", "lars", "susanne", "niels", "karen", "soren", "lene", "henrik",
    "camilla", "mads", "louise", "rasmus", "ida", "frederik", "emma", "oliver",
];
const WORDS: &[&str] = &[
    "nordic", "green", "blue", "smart", "nova", "future", "bright", "happy", "solid", "clean", "fresh", "north",
    "star", "sun", "wave", "pixel", "cloud", "data", "design", "studio", "media", "consult", "partner", "group",
    "house", "lab", "works", "shop", "store", "net", "tech", "care", "travel",
];

/// Ordinary domains: small businesses named after trades and towns, people's names, and invented
/// company names. Enumerated in a fixed order, so the list is the same on every run.
fn ordinary() -> Vec<String> {
    let towns: Vec<String> = known::MUNICIPALITIES
        .iter()
        .map(|m| m.name.to_lowercase().replace('ø', "oe").replace('å', "aa").replace('æ', "ae").replace(' ', ""))
        .collect();
    let mut out = BTreeSet::new();
    for (i, town) in towns.iter().enumerate() {
        let trade = TRADES[(i * 7) % TRADES.len()];
        let other = TRADES[(i * 11 + 3) % TRADES.len()];
        out.insert(format!("{trade}-{town}.dk"));
        out.insert(format!("{town}{other}.dk"));
        out.insert(format!("{town}-{}.dk", TRADES[(i * 5 + 1) % TRADES.len()]));
    }
    for (i, name) in FIRST_NAMES.iter().enumerate() {
        for j in 0..4 {
            out.insert(format!("{name}s-{}.dk", TRADES[(i * 3 + j * 13) % TRADES.len()]));
        }
        out.insert(format!("{name}{}.dk", 1960 + i * 3));
    }
    for (i, a) in WORDS.iter().enumerate() {
        for j in 1..4 {
            let b = WORDS[(i + j * 7) % WORDS.len()];
            let tld = ["dk", "com", "net", "eu"][(i + j) % 4];
            if *a != b {
                out.insert(format!("{a}{b}.{tld}"));
            }
        }
    }
    out.into_iter().collect()
}

fn negatives(set: &ProtectedSet) -> Rows {
    let mut rows: Rows = Vec::new();
    let real = set.protected().map(str::to_owned).chain(known::WELL_KNOWN.iter().map(|d| (*d).to_owned()));
    for domain in real.collect::<BTreeSet<_>>() {
        rows.push([domain, "real".into(), String::new(), "generated".into()]);
    }
    for domain in ordinary() {
        rows.push([domain, "ordinary".into(), String::new(), "generated".into()]);
    }
    rows
}

/// Plain optimal-string-alignment distance, to leave out typos that are as close to another domain.
fn osa(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

fn typos(set: &ProtectedSet) -> Rows {
    const COMMON: &[&str] = &[
        "gmail.com",
        "hotmail.com",
        "hotmail.dk",
        "outlook.com",
        "outlook.dk",
        "live.dk",
        "yahoo.com",
        "yahoo.dk",
        "icloud.com",
        "jubii.dk",
        "stofanet.dk",
        "get2net.dk",
        "youmail.dk",
        "webspeed.dk",
        "protonmail.com",
        "mail.dk",
        "privat.dk",
        "googlemail.com",
    ];
    let municipal: Vec<&str> =
        known::MUNICIPALITIES.iter().filter_map(|m| m.domains.last().copied()).filter(|d| d.len() >= 11).collect();
    let targets: Vec<&str> = known::PROVIDERS
        .iter()
        .copied()
        .chain(known::MUNICIPALITIES.iter().flat_map(|m| m.domains.iter().copied()))
        .chain(known::REGIONS.iter().copied())
        .collect();
    let mut rows: Rows = Vec::new();
    for &domain in COMMON.iter().chain(&municipal) {
        let Some((label, suffix)) = domain.split_once('.') else { continue };
        let chars: Vec<char> = label.chars().collect();
        let n = chars.len();
        let mut variants = Vec::new();
        for i in 0..n.saturating_sub(1) {
            let mut swapped = chars.clone();
            swapped.swap(i, i + 1);
            variants.push(format!("{}.{suffix}", swapped.iter().collect::<String>()));
        }
        if n >= 5 {
            for i in 1..n {
                variants.push(format!(
                    "{}{}.{suffix}",
                    chars[..i].iter().collect::<String>(),
                    chars[i + 1..].iter().collect::<String>()
                ));
            }
        }
        for i in [1, n / 2, n - 1] {
            if let Some(near) = chars.get(i).copied().and_then(neighbour) {
                variants.push(format!("{}.{suffix}", replace_at(label, i, &near.to_string())));
            }
            variants.push(format!(
                "{}{}.{suffix}",
                chars[..=i.min(n - 1)].iter().collect::<String>(),
                chars[i.min(n - 1)..].iter().collect::<String>()
            ));
        }
        let tld_typos: &[&str] = match suffix {
            "com" => &["con", "co", "cm", "cpm", "comm", "vom", "xom"],
            "dk" => &["dkk", "dl", "fk", "ddk", "sk"],
            _ => &[],
        };
        variants.extend(tld_typos.iter().map(|t| format!("{label}.{t}")));
        variants.push(format!("{label}{suffix}"));
        for typed in variants {
            if typed == domain || matches!(set.check(&typed), Verdict::Known { .. }) {
                continue;
            }
            let d = osa(&typed, domain);
            let rival =
                targets.iter().any(|t| *t != domain && !t.starts_with(&format!("{label}.")) && osa(&typed, t) <= d);
            if !rival {
                rows.push([typed, domain.to_owned(), String::new(), "generated".into()]);
            }
        }
    }
    for domain in negatives(set) {
        rows.push([domain[0].clone(), String::new(), String::new(), "generated".into()]);
    }
    let mut seen = BTreeSet::new();
    rows.retain(|row| seen.insert(row[0].clone()));
    rows
}

fn main() -> Result<(), Box<dyn Error>> {
    let set = ProtectedSet::builtin();
    let dir = corpora();
    std::fs::create_dir_all(&dir)?;
    let to_vec = |rows: Rows| rows.into_iter().map(|r| r.to_vec()).collect::<Vec<_>>();

    let path = dir.join("lookalikes.tsv");
    let hand = hand_rows(&path, 4);
    write(&path, "domain\texpected\tresembles\tsource", &hand, &to_vec(lookalikes(&set)))?;

    let path = dir.join("negatives.tsv");
    let hand = hand_rows(&path, 4);
    write(&path, "domain\tkind\tnote\tsource", &hand, &to_vec(negatives(&set)))?;

    let path = dir.join("typos.tsv");
    let hand = hand_rows(&path, 3);
    let generated: Vec<Vec<String>> =
        typos(&set).into_iter().map(|r| vec![r[0].clone(), r[1].clone(), r[3].clone()]).collect();
    write(&path, "typed\tsuggestion\tsource", &hand, &generated)?;
    Ok(())
}
