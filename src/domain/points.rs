//! VIP points: the earning rule, the balance, and the one invariant that
//! matters (the balance never goes negative). Pure: the ledger itself is
//! stored by `repo::points`.

use chrono::{DateTime, Utc};

use super::model::PointsKind;
use super::money::Money;

/// One line of a customer's points ledger.
#[derive(Debug, Clone, PartialEq)]
pub struct PointsEntry {
    pub id: i64,
    pub customer_id: i64,
    /// Signed: earnings are positive, redemptions negative, adjustments either.
    pub delta: i64,
    pub kind: PointsKind,
    pub reason: String,
    /// The sale an earning came from.
    pub transaction_id: Option<i64>,
    pub agent: String,
    pub created_at: DateTime<Utc>,
}

/// Why a change to a points balance was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    #[error("a points change needs a reason")]
    NoReason,
    #[error("the number of points must not be zero")]
    Zero,
    #[error("redeem a positive number of points (got {0})")]
    NotPositive(i64),
    #[error(
        "the balance is {balance} point(s): a change of {change} would take it to {would_be}, and a balance cannot go negative (nothing was changed)"
    )]
    WouldGoNegative { balance: i64, change: i64, would_be: i64 },
    #[error("that many points is out of range")]
    Overflow,
}

/// Points a sale of `amount` earns: one `per_unit` for each whole currency
/// unit (cents below a unit earn nothing). Nothing for zero or negative
/// amounts; saturates rather than overflowing.
pub fn points_for_sale(amount: Money, per_unit: u32) -> i64 {
    if amount.0 <= 0 {
        return 0;
    }
    (amount.0 / 100).saturating_mul(i64::from(per_unit))
}

/// The balance a ledger's deltas add up to.
pub fn balance(deltas: impl IntoIterator<Item = i64>) -> i64 {
    deltas.into_iter().fold(0i64, |acc, d| acc.saturating_add(d))
}

/// The reason of a manual change, trimmed; an empty one is refused.
pub fn check_reason(reason: &str) -> Result<&str, PointsError> {
    let r = reason.trim();
    if r.is_empty() { Err(PointsError::NoReason) } else { Ok(r) }
}

/// The balance after applying `delta` to `balance`, or why it is refused:
/// a zero change, or a balance that would go below zero.
pub fn apply(balance: i64, delta: i64) -> Result<i64, PointsError> {
    if delta == 0 {
        return Err(PointsError::Zero);
    }
    let would_be = balance.checked_add(delta).ok_or(PointsError::Overflow)?;
    if would_be < 0 {
        return Err(PointsError::WouldGoNegative { balance, change: delta, would_be });
    }
    Ok(would_be)
}

/// The ledger delta of redeeming `points` (a positive count).
pub fn redemption(points: i64) -> Result<i64, PointsError> {
    if points <= 0 {
        return Err(PointsError::NotPositive(points));
    }
    Ok(-points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn earning_counts_whole_units() {
        assert_eq!(points_for_sale(Money(12_399), 1), 123);
        assert_eq!(points_for_sale(Money(12_399), 3), 369);
        assert_eq!(points_for_sale(Money(99), 5), 0);
        assert_eq!(points_for_sale(Money(0), 5), 0);
        assert_eq!(points_for_sale(Money(-5_000), 5), 0);
        assert_eq!(points_for_sale(Money(10_000), 0), 0);
        assert_eq!(points_for_sale(Money(i64::MAX), u32::MAX), i64::MAX);
    }

    #[test]
    fn balance_never_goes_negative() {
        assert_eq!(apply(10, -10), Ok(0));
        assert_eq!(apply(10, 5), Ok(15));
        assert_eq!(apply(10, -11), Err(PointsError::WouldGoNegative { balance: 10, change: -11, would_be: -1 }));
        assert_eq!(apply(10, 0), Err(PointsError::Zero));
        assert_eq!(apply(i64::MAX, 1), Err(PointsError::Overflow));
        assert_eq!(redemption(4), Ok(-4));
        assert_eq!(redemption(0), Err(PointsError::NotPositive(0)));
        assert_eq!(redemption(-3), Err(PointsError::NotPositive(-3)));
    }

    #[test]
    fn reasons_and_sums() {
        assert_eq!(check_reason("  gift  "), Ok("gift"));
        assert_eq!(check_reason(" \t"), Err(PointsError::NoReason));
        assert_eq!(balance([5, -2, 10]), 13);
        assert_eq!(balance([]), 0);
    }
}
