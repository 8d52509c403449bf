//! vCard 3.0 (RFC 2426) and 4.0 (RFC 6350): reading a file of many cards
//! and writing contacts as cards. Pure text in, text out; no I/O.
//!
//! Reading is lenient where real files differ (LF or CRLF, `item1.TEL`
//! groups, bare `TYPE` parameters, `tel:` URIs, years-less birthdays) and
//! strict where data would be lost: a card with no name, an unreadable
//! birthday, a property line without `:`, or a card that never ends is an
//! error naming its line.

use chrono::{Datelike, NaiveDate};

use super::ical::{escape_text, push_line};

/// One value of a repeated property (TEL, EMAIL) with its types.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Typed {
    pub value: String,
    /// Lower-cased TYPE values (`work`, `cell`, `voice`, ...).
    pub types: Vec<String>,
    /// Preference: 1 is most preferred (`PREF=1` or `TYPE=pref`); 100 when
    /// none is given.
    pub pref: u8,
}

/// The structured name (N): family; given; additional; prefixes; suffixes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StructuredName {
    pub family: String,
    pub given: String,
    pub additional: String,
    pub prefixes: String,
    pub suffixes: String,
}

/// Whether a name is written in Chinese, Japanese or Korean script, where
/// the family name comes first.
fn family_first(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c as u32,
            0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0xAC00..=0xD7AF | 0x1100..=0x11FF)
    })
}

impl StructuredName {
    /// "prefix given additional family suffix", skipping empty parts; a
    /// CJK name is written family name first.
    pub fn display(&self) -> String {
        let cjk = family_first(&self.family) || family_first(&self.given);
        let parts = if cjk {
            [&self.prefixes, &self.family, &self.given, &self.additional, &self.suffixes]
        } else {
            [&self.prefixes, &self.given, &self.additional, &self.family, &self.suffixes]
        };
        parts.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" ")
    }

    /// A best guess at N from a display name: the last word is the family
    /// name (the first in a CJK name: `山田 花子`); a single word (or CJK
    /// without spaces) is all family name.
    pub fn guess(full: &str) -> StructuredName {
        let full = full.trim();
        if family_first(full)
            && let Some((family, given)) = full.split_once(char::is_whitespace)
        {
            return StructuredName { family: family.into(), given: given.trim().into(), ..Default::default() };
        }
        match full.rsplit_once(char::is_whitespace) {
            Some((given, family)) => {
                StructuredName { family: family.into(), given: given.trim().into(), ..Default::default() }
            }
            None => StructuredName { family: full.into(), ..Default::default() },
        }
    }
}

/// One contact card.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VCard {
    pub version: Option<String>,
    pub uid: Option<String>,
    /// FN, the formatted name.
    pub formatted_name: Option<String>,
    pub name: Option<StructuredName>,
    /// The organisation (first component of ORG).
    pub org: Option<String>,
    /// TITLE, else ROLE.
    pub title: Option<String>,
    pub phones: Vec<Typed>,
    pub emails: Vec<Typed>,
    pub birthday: Option<NaiveDate>,
    pub note: Option<String>,
    /// `X-` properties: upper-cased name and unescaped value.
    pub extensions: Vec<(String, String)>,
    /// What the card gives that a contact cannot keep: (line, what), for
    /// the import to say (a birthday without a year).
    pub unkept: Vec<(usize, String)>,
}

impl VCard {
    /// The name to file the contact under: FN, else N put together.
    pub fn display_name(&self) -> Option<String> {
        self.formatted_name
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .or_else(|| self.name.as_ref().map(StructuredName::display).filter(|s| !s.is_empty()))
    }

    /// The most preferred phone (the first among equals).
    pub fn phone(&self) -> Option<&str> {
        preferred(&self.phones)
    }

    /// The most preferred email (the first among equals).
    pub fn email(&self) -> Option<&str> {
        preferred(&self.emails)
    }

    /// The first value of an `X-` property, by name (any case).
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn preferred(values: &[Typed]) -> Option<&str> {
    values.iter().filter(|t| !t.value.trim().is_empty()).min_by_key(|t| t.pref).map(|t| t.value.trim())
}

/// Why a card could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardError {
    /// 1-based line in the file.
    pub line: usize,
    /// The property at fault (`FN`, `BDAY`, `END`, ...).
    pub property: String,
    pub reason: String,
}

/// One card as read: where it starts, its text as in the file, and the card
/// or why it could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// 1-based line of its BEGIN:VCARD.
    pub line: usize,
    /// The card's lines as they were (folded), joined with CRLF.
    pub raw: String,
    pub card: Result<VCard, CardError>,
}

/// One unfolded content line and the physical line it starts on.
struct Logical {
    line: usize,
    text: String,
    raw: Vec<String>,
}

/// Reads every card in a file's bytes (a BOM, blank lines and CRLF or LF
/// endings are fine). Lines are unfolded before they are decoded as UTF-8,
/// so a fold that splits a multi-byte character (which RFC 6350 tolerates)
/// joins it again. Text outside any card, and a line that is not UTF-8,
/// are reported as error entries.
pub fn parse(bytes: impl AsRef<[u8]>) -> Vec<Parsed> {
    let bytes = bytes.as_ref();
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    // (first line number, unfolded bytes, physical lines)
    type Folded<'a> = (usize, Vec<u8>, Vec<&'a [u8]>);
    let mut folded: Vec<Folded> = Vec::new();
    for (i, phys) in bytes.split(|b| *b == b'\n').enumerate() {
        let phys = phys.strip_suffix(b"\r").unwrap_or(phys);
        if let Some((b' ' | b'\t', rest)) = phys.split_first()
            && let Some(last) = folded.last_mut()
        {
            last.1.extend_from_slice(rest);
            last.2.push(phys);
            continue;
        }
        folded.push((i + 1, phys.to_vec(), vec![phys]));
    }
    let mut bad_utf8 = Vec::new();
    let logical: Vec<Logical> = folded
        .into_iter()
        .map(|(line, text, raw)| {
            let text = String::from_utf8(text).unwrap_or_else(|e| {
                bad_utf8.push(line);
                String::from_utf8_lossy(e.as_bytes()).into_owned()
            });
            let raw = raw.iter().map(|r| String::from_utf8_lossy(r).into_owned()).collect();
            Logical { line, text, raw }
        })
        .collect();
    group(logical, &bad_utf8)
}

fn group(logical: Vec<Logical>, bad_utf8: &[usize]) -> Vec<Parsed> {
    let mut out = Vec::new();
    // The card being read: its BEGIN line, raw lines, and (line, property).
    type Open = (usize, Vec<String>, Vec<(usize, String)>);
    let mut current: Option<Open> = None;
    for l in logical {
        let upper = l.text.trim().to_ascii_uppercase();
        if upper == "BEGIN:VCARD" {
            if let Some((line, raw, _)) = current.take() {
                out.push(Parsed {
                    line,
                    raw: raw.join("\r\n"),
                    card: Err(CardError {
                        line: l.line,
                        property: "END".into(),
                        reason: "a new card begins before this one ends (END:VCARD missing)".into(),
                    }),
                });
            }
            current = Some((l.line, l.raw, Vec::new()));
        } else if upper == "END:VCARD" {
            match current.take() {
                Some((line, mut raw, props)) => {
                    raw.extend(l.raw);
                    out.push(Parsed { line, raw: raw.join("\r\n"), card: read_card(line, &props, bad_utf8) });
                }
                None => out.push(stray(&l)),
            }
        } else if let Some((_, raw, props)) = current.as_mut() {
            raw.extend(l.raw);
            if !l.text.trim().is_empty() {
                props.push((l.line, l.text));
            }
        } else if !l.text.trim().is_empty() {
            out.push(stray(&l));
        }
    }
    if let Some((line, raw, _)) = current {
        out.push(Parsed {
            line,
            raw: raw.join("\r\n"),
            card: Err(CardError {
                line,
                property: "END".into(),
                reason: "the card never ends (END:VCARD missing at the end of the file)".into(),
            }),
        });
    }
    out
}

fn stray(l: &Logical) -> Parsed {
    Parsed {
        line: l.line,
        raw: l.raw.join("\r\n"),
        card: Err(CardError {
            line: l.line,
            property: "BEGIN".into(),
            reason: "text outside BEGIN:VCARD ... END:VCARD".into(),
        }),
    }
}

/// A content line split into name, parameters and raw value.
struct Property {
    name: String,
    params: Vec<(String, Vec<String>)>,
    value: String,
}

impl Property {
    fn param(&self, key: &str) -> impl Iterator<Item = &str> {
        self.params
            .iter()
            .filter(move |(k, _)| k.eq_ignore_ascii_case(key))
            .flat_map(|(_, v)| v.iter().map(|s| s.as_str()))
    }

    fn typed(&self) -> Typed {
        let mut types: Vec<String> = Vec::new();
        for (k, vs) in &self.params {
            if k.eq_ignore_ascii_case("TYPE") {
                types.extend(vs.iter().map(|v| v.to_ascii_lowercase()));
            } else if vs.is_empty() {
                // vCard 2.1 style bare parameter: TEL;WORK;VOICE:...
                types.push(k.to_ascii_lowercase());
            }
        }
        let mut pref = if types.iter().any(|t| t == "pref") { 1 } else { 100 };
        if let Some(p) = self.param("PREF").next().and_then(|p| p.trim().parse::<u8>().ok()) {
            pref = pref.min(p.clamp(1, 100));
        }
        types.retain(|t| t != "pref");
        let mut value = unescape(&self.value);
        if let Some(rest) = value.strip_prefix("tel:").or_else(|| value.strip_prefix("TEL:")) {
            value = rest.to_string();
        }
        if let Some(rest) = value.strip_prefix("mailto:") {
            value = rest.to_string();
        }
        Typed { value: value.trim().to_string(), types, pref }
    }
}

fn split_property(text: &str) -> Option<Property> {
    // The value starts at the first ':' outside double quotes.
    let mut in_quotes = false;
    let mut colon = None;
    for (i, c) in text.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            ':' if !in_quotes => {
                colon = Some(i);
                break;
            }
            _ => {}
        }
    }
    let colon = colon?;
    let (head, value) = (&text[..colon], &text[colon + 1..]);
    let mut parts = split_unquoted(head, ';').into_iter();
    let name = parts.next()?.trim().to_string();
    // Strip a group: item1.TEL → TEL.
    let name = name.rsplit_once('.').map(|(_, n)| n.to_string()).unwrap_or(name).to_ascii_uppercase();
    if name.is_empty() {
        return None;
    }
    let params = parts
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (
                k.trim().to_string(),
                split_unquoted(v, ',').into_iter().map(|s| s.trim().trim_matches('"').to_string()).collect(),
            ),
            None => (p.trim().to_string(), Vec::new()),
        })
        .collect();
    Some(Property { name, params, value: value.to_string() })
}

fn split_unquoted(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut in_quotes = false;
    for c in s.chars() {
        if c == '"' {
            in_quotes = !in_quotes;
        }
        if c == sep && !in_quotes {
            out.push(String::new());
        } else if let Some(last) = out.last_mut() {
            last.push(c);
        }
    }
    out
}

/// Splits a structured value on unescaped `;`, then unescapes each part
/// (a list inside a part, separated by unescaped `,`, is joined by spaces).
fn structured(value: &str) -> Vec<String> {
    split_escaped(value, ';')
        .into_iter()
        .map(|part| {
            split_escaped(&part, ',')
                .iter()
                .map(|s| unescape(s).trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn split_escaped(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        let last = out.last_mut().expect("never empty");
        if c == '\\' {
            last.push(c);
            if let Some(n) = chars.next() {
                last.push(n);
            }
        } else if c == sep {
            out.push(String::new());
        } else {
            last.push(c);
        }
    }
    out
}

/// Undoes vCard TEXT escaping: `\\`, `\,`, `\;`, `\:`, `\n` / `\N`.
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Reads a birthday: `1985-04-12`, `19850412`, or either followed by a
/// time. A birthday without a year (`--04-12`, `--0412`) or given as free
/// text (`VALUE=text`) has no date: `Ok(None)`.
pub fn parse_birthday(value: &str) -> Result<Option<NaiveDate>, String> {
    let v = value.trim();
    if v.is_empty() || v.starts_with("--") {
        return Ok(None);
    }
    let date = v.split('T').next().unwrap_or(v);
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(date, "%Y%m%d"))
        .map_err(|_| format!("\"{v}\" is not a date (YYYY-MM-DD or YYYYMMDD)"))?;
    // Apple's contacts write a birthday without a year as 1604.
    if d.year() == 1604 {
        return Ok(None);
    }
    super::dates::plausible(v, d).map(Some)
}

fn read_card(begin: usize, props: &[(usize, String)], bad_utf8: &[usize]) -> Result<VCard, CardError> {
    let mut card = VCard::default();
    let mut role = None;
    for (line, text) in props {
        if bad_utf8.contains(line) {
            return Err(CardError { line: *line, property: "?".into(), reason: "not valid UTF-8 text".into() });
        }
        let err = |property: &str, reason: String| CardError { line: *line, property: property.into(), reason };
        let Some(p) = split_property(text) else {
            return Err(err("?", format!("not a vCard property (no ':'): \"{}\"", text.trim())));
        };
        match p.name.as_str() {
            "VERSION" => card.version = Some(p.value.trim().to_string()),
            "UID" => card.uid = Some(unescape(&p.value).trim().to_string()).filter(|s| !s.is_empty()),
            "FN" => card.formatted_name = Some(unescape(&p.value)),
            "N" => {
                let mut parts = structured(&p.value).into_iter();
                let mut next = || parts.next().unwrap_or_default();
                card.name = Some(StructuredName {
                    family: next(),
                    given: next(),
                    additional: next(),
                    prefixes: next(),
                    suffixes: next(),
                });
            }
            "ORG" => {
                card.org =
                    structured(&p.value).into_iter().next().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
            }
            "TITLE" => card.title = Some(unescape(&p.value).trim().to_string()).filter(|s| !s.is_empty()),
            "ROLE" => role = Some(unescape(&p.value).trim().to_string()).filter(|s| !s.is_empty()),
            "TEL" => card.phones.push(p.typed()),
            "EMAIL" => card.emails.push(p.typed()),
            "BDAY" => {
                let is_text = p.param("VALUE").any(|v| v.eq_ignore_ascii_case("text"));
                if !is_text {
                    card.birthday = parse_birthday(&p.value).map_err(|e| err("BDAY", e))?;
                }
                if card.birthday.is_none() && !p.value.trim().is_empty() {
                    card.unkept
                        .push((*line, format!("BDAY \"{}\" has no year: the birthday is not kept", p.value.trim())));
                }
            }
            "NOTE" => card.note = Some(unescape(&p.value)),
            n if n.starts_with("X-") => card.extensions.push((n.to_string(), unescape(&p.value))),
            _ => {}
        }
    }
    if card.title.is_none() {
        card.title = role;
    }
    if card.display_name().is_none() {
        return Err(CardError {
            line: begin,
            property: "FN".into(),
            reason: "missing required field FN (or N): the contact's name".into(),
        });
    }
    Ok(card)
}

/// Writes cards as vCard 3.0: CRLF endings, lines folded at 75 octets,
/// text escaped. FN and N are always written (N guessed from FN if needed).
pub fn write(cards: &[VCard]) -> String {
    let mut out = String::with_capacity(cards.len() * 256);
    for c in cards {
        write_card(c, &mut out);
    }
    out
}

/// Appends one card to `out`.
pub fn write_card(c: &VCard, out: &mut String) {
    let mut line = |s: String| push_line(out, &s);
    line("BEGIN:VCARD".into());
    line("VERSION:3.0".into());
    if let Some(uid) = &c.uid {
        line(format!("UID:{}", escape_text(uid)));
    }
    let display = c.display_name().unwrap_or_default();
    line(format!("FN:{}", escape_text(&display)));
    let n = c.name.clone().unwrap_or_else(|| StructuredName::guess(&display));
    line(format!(
        "N:{};{};{};{};{}",
        escape_text(&n.family),
        escape_text(&n.given),
        escape_text(&n.additional),
        escape_text(&n.prefixes),
        escape_text(&n.suffixes)
    ));
    if let Some(org) = &c.org {
        line(format!("ORG:{}", escape_text(org)));
    }
    if let Some(t) = &c.title {
        line(format!("TITLE:{}", escape_text(t)));
    }
    for t in &c.phones {
        line(format!("TEL{}:{}", type_param(t, "voice"), escape_text(&t.value)));
    }
    for t in &c.emails {
        line(format!("EMAIL{}:{}", type_param(t, "internet"), escape_text(&t.value)));
    }
    if let Some(b) = c.birthday {
        line(format!("BDAY:{}", b.format("%Y-%m-%d")));
    }
    if let Some(note) = &c.note {
        line(format!("NOTE:{}", escape_text(note)));
    }
    for (k, v) in &c.extensions {
        line(format!("{}:{}", k.to_ascii_uppercase(), escape_text(v)));
    }
    line("END:VCARD".into());
}

fn type_param(t: &Typed, default: &str) -> String {
    let mut types: Vec<&str> = t.types.iter().map(|s| s.as_str()).filter(|s| is_param_safe(s)).collect();
    if types.is_empty() {
        types.push(default);
    }
    if t.pref <= 1 {
        types.push("pref");
    }
    format!(";TYPE={}", types.join(","))
}

fn is_param_safe(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Zoë Ångström\r\nN:Ångström;Zoë;;;\r\n\
        ORG:Smith\\, Jones \\; Co;Sales\r\nTITLE:Head of\r\n  purchasing\r\nTEL;TYPE=work,voice:+33 1 42 \r\n 68 53 00\r\n\
        TEL;TYPE=cell;TYPE=pref:+33 6 12 34 56 78\r\nEMAIL;TYPE=INTERNET:zoe@example.fr\r\nBDAY:19850412\r\n\
        NOTE:line one\\nline two\r\nEND:VCARD\r\n\
        \n\
        begin:vcard\nversion:4.0\nitem1.FN:山田太郎\nTEL;VALUE=uri;PREF=1:tel:+81-3-1234-5678\nBDAY:--0412\nend:vcard\n";

    #[test]
    fn reads_two_cards_with_folding_escapes_and_groups() {
        let cards = parse(TWO);
        assert_eq!(cards.len(), 2);
        let a = cards[0].card.as_ref().unwrap();
        assert_eq!(cards[0].line, 1);
        assert_eq!(a.display_name().as_deref(), Some("Zoë Ångström"));
        assert_eq!(a.org.as_deref(), Some("Smith, Jones ; Co"));
        assert_eq!(a.title.as_deref(), Some("Head of purchasing"));
        assert_eq!(a.phone(), Some("+33 6 12 34 56 78"));
        assert_eq!(a.phones[0].value, "+33 1 42 68 53 00");
        assert_eq!(a.email(), Some("zoe@example.fr"));
        assert_eq!(a.birthday, NaiveDate::from_ymd_opt(1985, 4, 12));
        assert_eq!(a.note.as_deref(), Some("line one\nline two"));
        let b = cards[1].card.as_ref().unwrap();
        assert_eq!(cards[1].line, 16);
        assert_eq!(b.display_name().as_deref(), Some("山田太郎"));
        assert_eq!(b.phone(), Some("+81-3-1234-5678"));
        assert_eq!(b.birthday, None);
        assert_eq!(b.org, None);
    }

    #[test]
    fn a_fold_may_split_a_multibyte_character() {
        let mut bytes = b"BEGIN:VCARD\r\nFN:Zo".to_vec();
        let e = "ë".as_bytes();
        bytes.extend_from_slice(&e[..1]);
        bytes.extend_from_slice(b"\r\n ");
        bytes.extend_from_slice(&e[1..]);
        bytes.extend_from_slice(" Ångström\r\nEND:VCARD\r\n".as_bytes());
        let c = parse(&bytes);
        assert_eq!(c[0].card.as_ref().unwrap().display_name().as_deref(), Some("Zoë Ångström"));
        let bad = parse(b"BEGIN:VCARD\nFN:A\xff\nEND:VCARD\n");
        assert_eq!(bad[0].card.as_ref().unwrap_err().line, 2);
    }

    #[test]
    fn a_birthday_needs_a_plausible_year() {
        assert_eq!(parse_birthday("1985-04-12"), Ok(NaiveDate::from_ymd_opt(1985, 4, 12)));
        assert_eq!(parse_birthday("--0412"), Ok(None));
        assert_eq!(parse_birthday("1604-04-12"), Ok(None), "Apple's year-less birthday");
        assert!(parse_birthday("0000-04-12").unwrap_err().contains("not a plausible date"));
        assert!(parse_birthday("2300-01-01").is_err());
    }

    #[test]
    fn a_cjk_name_has_its_family_name_first() {
        let n = StructuredName::guess("山田 花子");
        assert_eq!((n.family.as_str(), n.given.as_str()), ("山田", "花子"));
        assert_eq!(n.display(), "山田 花子");
        let n = StructuredName::guess("김 민준");
        assert_eq!((n.family.as_str(), n.given.as_str()), ("김", "민준"));
        let n = StructuredName::guess("Hans Müller");
        assert_eq!((n.family.as_str(), n.given.as_str()), ("Müller", "Hans"));
        assert_eq!(n.display(), "Hans Müller");
        let c = parse("BEGIN:VCARD\nVERSION:3.0\nN:王;小明;;;\nEND:VCARD\n");
        assert_eq!(c[0].card.as_ref().unwrap().display_name().as_deref(), Some("王 小明"));
    }

    #[test]
    fn name_from_n_when_fn_is_missing() {
        let c = parse("BEGIN:VCARD\nVERSION:3.0\nN:Gonçalves;Luís;;Dr.;\nEND:VCARD\n");
        assert_eq!(c[0].card.as_ref().unwrap().display_name().as_deref(), Some("Dr. Luís Gonçalves"));
    }

    #[test]
    fn errors_name_their_line() {
        let text = "BEGIN:VCARD\nVERSION:3.0\nEMAIL:x@y\nEND:VCARD\nBEGIN:VCARD\nFN:A\nBDAY:1985-13-45\nEND:VCARD\n\
            junk\nBEGIN:VCARD\nFN:B\nwhat is this\nEND:VCARD\nBEGIN:VCARD\nFN:C\n";
        let cards = parse(text);
        let errs: Vec<_> = cards.iter().map(|c| c.card.as_ref().err().map(|e| (e.line, e.property.clone()))).collect();
        assert_eq!(
            errs,
            vec![
                Some((1, "FN".into())),
                Some((7, "BDAY".into())),
                Some((9, "BEGIN".into())),
                Some((12, "?".into())),
                Some((14, "END".into()))
            ]
        );
    }

    #[test]
    fn write_then_parse_is_the_same_card() {
        let card = VCard {
            version: None,
            uid: Some("c-1".into()),
            formatted_name: Some("Zoë Ångström, \"Zo\"; 山田太郎 with a very long name that needs folding ok".into()),
            name: None,
            org: Some("Smith, Jones; Co\\".into()),
            title: Some("Buyer\nsecond line".into()),
            phones: vec![Typed { value: "+1 (514) 721-4711".into(), types: vec!["work".into()], pref: 100 }],
            emails: vec![Typed { value: "zoe@example.fr".into(), types: vec![], pref: 1 }],
            birthday: NaiveDate::from_ymd_opt(1990, 2, 28),
            note: None,
            extensions: vec![("X-RAPPORT-CUSTOMER".into(), "demo-000001".into())],
            unkept: Vec::new(),
        };
        let text = write(std::slice::from_ref(&card));
        assert!(text.split("\r\n").all(|l| l.len() <= 75));
        let back = parse(&text);
        let got = back[0].card.as_ref().unwrap();
        assert_eq!(got.display_name(), card.display_name());
        assert_eq!(got.org, card.org);
        assert_eq!(got.title, card.title);
        assert_eq!(got.phone(), card.phone());
        assert_eq!(got.email(), card.email());
        assert_eq!(got.birthday, card.birthday);
        assert_eq!(got.uid, card.uid);
        assert_eq!(got.extension("x-rapport-customer"), Some("demo-000001"));
    }
}
