//! Money: integer minor units and ISO 4217 currency codes (checked against the standard's
//! table, with each currency's minor-unit digits). Never floats.
//!
//! All arithmetic is checked; an overflow is an error the caller must handle, never a wrap.

use std::fmt;
use std::str::FromStr;

/// An amount of money in minor units of some currency (cents for EUR, yen for JPY).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(transparent)]
pub struct Amount(pub i64);

impl Amount {
    pub const ZERO: Amount = Amount(0);

    pub fn minor(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Amount) -> Option<Amount> {
        self.0.checked_add(other.0).map(Amount)
    }

    pub fn checked_sub(self, other: Amount) -> Option<Amount> {
        self.0.checked_sub(other.0).map(Amount)
    }

    pub fn checked_mul(self, factor: i64) -> Option<Amount> {
        self.0.checked_mul(factor).map(Amount)
    }

    /// `self * numerator / denominator`, rounded down, in 128-bit so the product cannot overflow.
    pub fn mul_ratio_floor(self, numerator: i64, denominator: i64) -> Option<Amount> {
        if denominator <= 0 {
            return None;
        }
        let product = self.0 as i128 * numerator as i128;
        i64::try_from(product.div_euclid(denominator as i128)).ok().map(Amount)
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An ISO 4217 alphabetic code of a currency with minor units (EUR, JPY, KWD, …).
///
/// Only codes that ISO 4217 lists with a number of minor-unit digits parse: the metals,
/// the testing code `XTS`, "no currency" `XXX` and the other special units have none, so no
/// amount in them can be counted in minor units. Codes ISO has replaced (`HRK`, `SLL`) still
/// parse: money in them may still be settled and journals may hold them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn as_str(&self) -> &str {
        // Constructed only from validated ASCII letters.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }

    /// Digits of the minor unit as ISO 4217 defines them: 0 for JPY (no minor unit), 2 for
    /// EUR (cents), 3 for KWD (fils), 4 for the Chilean unidad de fomento (CLF).
    pub fn minor_digits(&self) -> u32 {
        // Every `Currency` was parsed from a code the ISO table gives an exponent.
        iso_exponent(self.as_str()).unwrap_or(2)
    }

    /// `amount` in this currency's major units as a player reads it: thousands grouped with
    /// commas, the minor digits after a point (`123456` EUR is `1,234.56`, `10000` JPY is
    /// `10,000`, `1500` KWD is `1.500`).
    pub fn format_major(&self, amount: Amount) -> String {
        let digits = self.minor_digits();
        let minor = amount.minor().unsigned_abs();
        let scale = 10u64.pow(digits);
        let (whole, fraction) = (minor / scale, minor % scale);
        let whole = whole.to_string();
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3 + 1);
        for (index, digit) in whole.chars().enumerate() {
            if index > 0 && (whole.len() - index) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        let sign = if amount.minor() < 0 { "-" } else { "" };
        if digits == 0 {
            format!("{sign}{grouped}")
        } else {
            format!("{sign}{grouped}.{fraction:0width$}", width = digits as usize)
        }
    }
}

/// The minor-unit digits ISO 4217 gives `code`, from the `iso_currency` table; `None` for a
/// code it does not list and for the special units without minor units (metals, `XDR`,
/// `XTS`, `XXX`, …).
fn iso_exponent(code: &str) -> Option<u32> {
    let currency = iso_currency::Currency::from_code(code)?;
    if currency.is_special() {
        return None;
    }
    currency.exponent().map(u32::from)
}

/// A table's bet limits as a player reads them: "between 1.00 and 5,000.00 EUR" (minor
/// units shown in major units, see [`Currency::format_major`]).
pub fn stake_range(min: Amount, max: Amount, currency: Currency) -> String {
    format!(
        "between {} and {} {currency}",
        currency.format_major(min),
        currency.format_major(max)
    )
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an ISO 4217 currency code with minor units (like EUR, USD or JPY)")]
pub struct CurrencyError(pub String);

impl FromStr for Currency {
    type Err = CurrencyError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() == 3 && bytes.iter().all(u8::is_ascii_uppercase) && iso_exponent(s).is_some() {
            Ok(Currency([bytes[0], bytes[1], bytes[2]]))
        } else {
            Err(CurrencyError(s.chars().take(16).collect()))
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl schemars::JsonSchema for Currency {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Currency".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^[A-Z]{3}$",
            "description": "An ISO 4217 alphabetic currency code; amounts in it are integers of its minor unit."
        })
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_arithmetic_never_wraps() {
        assert_eq!(Amount(i64::MAX).checked_add(Amount(1)), None);
        assert_eq!(Amount(100).mul_ratio_floor(95, 100), Some(Amount(95)));
        assert_eq!(Amount(15).mul_ratio_floor(95, 100), Some(Amount(14)));
        assert_eq!(Amount(i64::MAX).mul_ratio_floor(2, 1), None);
    }

    #[test]
    fn currency_codes_are_validated_against_iso_4217() {
        assert_eq!("EUR".parse::<Currency>().unwrap().to_string(), "EUR");
        // Malformed, and well-formed but not ISO 4217 currencies with minor units: made up
        // (XYZ, ABC), special units (gold, SDR, testing, no currency).
        for bad in [
            "eur", "EU", "EURO", "", "E1R", "XYZ", "ABC", "QQQ", "XAU", "XDR", "XTS", "XXX",
        ] {
            let error = bad.parse::<Currency>().expect_err(bad);
            assert!(error.to_string().contains("ISO 4217"), "{error}");
        }
        let json = serde_json::from_str::<Currency>("\"XYZ\"").expect_err("XYZ from JSON");
        assert!(json.to_string().contains("\"XYZ\" is not an ISO 4217"), "{json}");
    }

    #[test]
    fn minor_digits_come_from_iso_4217() {
        let digits = |code: &str| code.parse::<Currency>().unwrap().minor_digits();
        for (code, expected) in [
            ("EUR", 2),
            ("USD", 2),
            ("GBP", 2),
            ("JPY", 0),
            ("KRW", 0),
            ("ISK", 0),
            ("CLP", 0),
            ("XAF", 0),
            ("KWD", 3),
            ("BHD", 3),
            ("IQD", 3),
            ("LYD", 3),
            ("CLF", 4),
        ] {
            assert_eq!(digits(code), expected, "{code}");
        }
    }

    #[test]
    fn amounts_format_in_major_units() {
        let format = |code: &str, minor: i64| code.parse::<Currency>().unwrap().format_major(Amount(minor));
        assert_eq!(format("EUR", 100), "1.00");
        assert_eq!(format("EUR", 500_000), "5,000.00");
        assert_eq!(format("EUR", 5), "0.05");
        assert_eq!(format("EUR", 123_456_789), "1,234,567.89");
        assert_eq!(format("EUR", -1_050), "-10.50");
        assert_eq!(format("JPY", 100), "100");
        assert_eq!(format("JPY", 10_000), "10,000");
        assert_eq!(format("JPY", 1_000_000), "1,000,000");
        assert_eq!(format("KWD", 1_500), "1.500");
        assert_eq!(format("EUR", i64::MIN), "-92,233,720,368,547,758.08");
        let eur = "EUR".parse().unwrap();
        assert_eq!(
            stake_range(Amount(100), Amount(500_000), eur),
            "between 1.00 and 5,000.00 EUR"
        );
        let jpy = "JPY".parse().unwrap();
        assert_eq!(
            stake_range(Amount(100), Amount(10_000), jpy),
            "between 100 and 10,000 JPY"
        );
    }
}
