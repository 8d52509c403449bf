//! The customers' search index: an FTS5 trigram index over each customer's
//! search text and phone digits (`customer_search`, migration 10), so that
//! search as you type reads a few index pages instead of scanning every
//! customer (under a millisecond against about a second on a million).
//!
//! It names the customers whose indexed text holds what was typed (one
//! phrase of its three-character pieces, with their positions since
//! migration 16; for one or two characters, any piece that starts with
//! them). The indexed text is the search text and the phone digits, so
//! for some searches ([`exact`]: those without digits, and phone searches
//! of digits alone) its answer is exactly the scan's: they are counted from
//! the index alone when it names many customers, and their matches' places
//! in the list are read from a narrow index (`customers_order`, migration
//! 15) rather than from their rows. For the others, the customer's own
//! `search_text` and `phone_digits` are checked with the same `LIKE` as a
//! scan, so the answers are always exactly the scan's.
//!
//! It is kept by triggers on `customers`, but only for customers up to
//! `search_index.indexed_upto`: a first load of a million customers skips
//! it (it would cost about as much again as the load), and it is caught up
//! afterwards in short transactions ([`Repo::index_search_step`], from the
//! app's background job) while search scans. A new base starts complete.

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::schema::phone_terms;
use super::{Repo, Result};

/// `indexed_upto` when every customer is in the index.
const COMPLETE: i64 = i64::MAX;

/// At most this many index terms stand for a one- or two-character
/// search; beyond, the text is common enough for a scan in name order.
const MAX_TERMS: usize = 256;

/// What the index says about a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Candidates {
    /// It cannot narrow this search (the index is not complete, or the
    /// text is so short and common that it would name most customers).
    Unknown,
    /// No customer can match.
    None,
    /// The customers this FTS5 query names are the only possible matches.
    Match(String),
}

impl Candidates {
    /// Customers who may match either search.
    fn or(self, other: Candidates) -> Candidates {
        match (self, other) {
            (Candidates::Unknown, _) | (_, Candidates::Unknown) => Candidates::Unknown,
            (Candidates::None, x) | (x, Candidates::None) => x,
            (Candidates::Match(a), Candidates::Match(b)) => Candidates::Match(format!("({a}) OR ({b})")),
        }
    }
}

/// How far a catch-up of the index has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexProgress {
    /// Every customer is indexed.
    pub done: bool,
    /// Customers up to this id are indexed (when not done).
    pub upto: i64,
    /// The highest customer id.
    pub last: i64,
}

/// Whether every customer is in the index.
pub(crate) fn complete(conn: &Connection) -> Result<bool> {
    let upto: i64 = conn.prepare_cached("SELECT indexed_upto FROM search_index")?.query_row([], |r| r.get(0))?;
    Ok(upto == COMPLETE)
}

/// Marks the index complete (a new, empty base).
pub(crate) fn mark_complete(tx: &Transaction) -> Result<()> {
    set_indexed_upto(tx, COMPLETE)
}

/// Empties the index and stops the triggers from keeping it, for a bulk
/// load into a base without customers; [`Repo::index_search_step`] or
/// [`rebuild`] fill it afterwards.
pub(crate) fn suspend(tx: &Transaction) -> Result<()> {
    tx.execute("DELETE FROM customer_search", [])?;
    set_indexed_upto(tx, 0)
}

/// Leaves customers with ids above `last` out of the index (for a bulk
/// load into a base with customers): the triggers keep only customers up
/// to `indexed_upto`, and [`Repo::index_search_step`] adds the others
/// after the load. An index already behind stays where it is. Returns
/// where it was, for [`set_indexed_upto`] when no customer was added.
pub(crate) fn leave_out_after(tx: &Transaction, last: i64) -> Result<i64> {
    let was: i64 = tx.query_row("SELECT indexed_upto FROM search_index", [], |r| r.get(0))?;
    tx.execute("UPDATE search_index SET indexed_upto = min(indexed_upto, ?1)", [last])?;
    Ok(was)
}

/// Says the index holds the customers up to `upto` (and no further:
/// the triggers keep only those; [`COMPLETE`] for everyone).
pub(crate) fn set_indexed_upto(tx: &Transaction, upto: i64) -> Result<()> {
    tx.execute("UPDATE search_index SET indexed_upto = ?1", [upto])?;
    Ok(())
}

/// Indexes the customers with ids in (?1, ?2]: the text the triggers of
/// migration 16 index (the phone digits as [`phone_terms`]), ending with
/// two spaces.
const INDEX_CUSTOMERS: &str = concat!(
    "INSERT INTO customer_search (rowid, doc) SELECT id, search_text || ' ' || ",
    phone_terms!("phone_digits"),
    " || '  ' FROM customers WHERE id > ?1 AND id <= ?2"
);

/// Phone digits as the index holds them: each digit as its subscript, so
/// that they are told apart from digits in the search text (see
/// `schema::phone_terms!`).
pub(crate) fn phone_terms(digits: &str) -> String {
    digits
        .chars()
        .map(|c| match c.to_digit(10) {
            Some(d) if c.is_ascii_digit() => char::from_u32(0x2080 + d).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// Indexes every customer in one pass (inside a bulk load's transaction).
pub(crate) fn rebuild(tx: &Transaction) -> Result<()> {
    tx.execute("DELETE FROM customer_search", [])?;
    tx.execute(INDEX_CUSTOMERS, params![i64::MIN, i64::MAX])?;
    mark_complete(tx)
}

/// The customers who may hold `needle` (folded, as the search text is) in
/// their search text or phone digits.
pub(crate) fn candidates(conn: &Connection, needle: &str) -> Result<Candidates> {
    let chars: Vec<char> = needle.chars().collect();
    match chars.len() {
        0 => Ok(Candidates::Unknown),
        // One Latin letter or digit is in most customers' text.
        1 if chars[0].is_ascii() => Ok(Candidates::Unknown),
        1 | 2 => short(conn, needle),
        // One phrase: its three-character pieces one after the other.
        _ => Ok(Candidates::Match(quoted(needle))),
    }
}

/// Whether the customers the index names for `needle` (folded; for a
/// phone search, or its digits as [`phone_terms`]) are exactly those whose
/// search text (or phone digits) holds it, so that no row need be read to
/// check them. The index holds the search text, a space and the phone
/// digits as subscripts, which folded text never holds: a needle lies
/// either in the text or in the digits, and cannot reach across the space
/// after the text unless it ends in a space. The query is trimmed before
/// it is folded, and folding can still end it in one (a spacing accent
/// such as `´` becomes a space and a combining mark, which is dropped):
/// such a needle, or one holding subscripts itself (never after folding;
/// the check stays for safety), is checked against the rows.
pub(crate) fn exact(needle: &str) -> bool {
    !needle.ends_with(char::is_whitespace) && !needle.chars().any(|c| ('\u{2080}'..='\u{2089}').contains(&c))
}

/// As [`candidates`], for either of two needles (a phone search matches
/// the text or the digits).
pub(crate) fn candidates_either(conn: &Connection, a: &str, b: &str) -> Result<Candidates> {
    Ok(candidates(conn, a)?.or(candidates(conn, b)?))
}

/// One or two characters: the index's terms are three characters long,
/// and every character of a text starts one (the text ends with two
/// spaces), so the customers holding the needle are those under any term
/// that starts with it.
fn short(conn: &Connection, needle: &str) -> Result<Candidates> {
    let above = format!("{needle}{}{}", char::MAX, char::MAX);
    let mut st =
        conn.prepare_cached("SELECT term FROM customer_search_terms WHERE term >= ?1 AND term <= ?2 LIMIT ?3")?;
    let terms: Vec<String> =
        st.query_map(params![needle, above, MAX_TERMS as i64 + 1], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
    Ok(match terms.len() {
        0 => Candidates::None,
        n if n > MAX_TERMS => Candidates::Unknown,
        _ => Candidates::Match(terms.iter().map(|t| quoted(t)).collect::<Vec<_>>().join(" OR ")),
    })
}

/// An FTS5 string: the trigram tokenizer makes one term of three characters.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

impl Repo {
    /// Adds up to `batch` more customers to the search index, in one short
    /// transaction (other agents write between steps), and says how far it
    /// has come. Customers written meanwhile are indexed by the triggers if
    /// their id is already covered, and by a later step otherwise.
    pub fn index_search_step(&mut self, batch: usize) -> Result<IndexProgress> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let upto: i64 = tx.query_row("SELECT indexed_upto FROM search_index", [], |r| r.get(0))?;
        let last: i64 = tx.query_row("SELECT coalesce(max(id), 0) FROM customers", [], |r| r.get(0))?;
        if upto == COMPLETE {
            return Ok(IndexProgress { done: true, upto: last, last });
        }
        let end: Option<i64> = tx
            .query_row(
                "SELECT max(id) FROM (SELECT id FROM customers WHERE id > ?1 ORDER BY id LIMIT ?2)",
                params![upto, batch as i64],
                |r| r.get(0),
            )
            .optional()?
            .flatten();
        let progress = match end {
            Some(end) => {
                tx.execute(INDEX_CUSTOMERS, params![upto, end])?;
                set_indexed_upto(&tx, end)?;
                IndexProgress { done: false, upto: end, last }
            }
            None => {
                mark_complete(&tx)?;
                IndexProgress { done: true, upto: last, last }
            }
        };
        tx.commit()?;
        Ok(progress)
    }

    /// Indexes every customer not yet in the search index, in steps.
    pub fn catch_up_search_index(&mut self) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        while !self.index_search_step(CATCH_UP_BATCH)?.done {}
        Ok(())
    }

    /// Whether search can use the index (every customer is in it).
    pub fn search_index_complete(&self) -> Result<bool> {
        complete(&self.conn)
    }

    /// Takes the index back to nothing indexed, as after a first bulk
    /// load, so that it is caught up again (tests, and a base whose index
    /// is suspected).
    pub fn reset_search_index(&mut self) -> Result<()> {
        let tx = self.conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        suspend(&tx)?;
        tx.commit()?;
        Ok(())
    }
}

/// Customers a catch-up step indexes: about a fifth of a second of writing.
pub const CATCH_UP_BATCH: usize = 20_000;
