"""Stripe's test bank accounts for the stand-in onboarding, and IBAN checks."""

import re

# Stripe's test bank accounts, whose payouts succeed (Connect testing docs),
# and for other IBAN countries the registry's example IBAN.
TEST_IBANS = {
    "AT": "AT611904300234573201", "BE": "BE62510007547061", "BG": "BG80BNBG96611020345678",
    "CH": "CH9300762011623852957", "CY": "CY17002001280000001200527600",
    "CZ": "CZ6508000000192000145399", "DE": "DE89370400440532013000",
    "DK": "DK5000400440116243", "EE": "EE382200221020145685",
    "ES": "ES0700120345030000067890", "FI": "FI2112345600000785",
    "FR": "FR1420041010050500013M02606", "GB": "GB82WEST12345698765432",
    "GI": "GI75NWBK000000007099453", "GR": "GR1601101250000000012300695",
    "HR": "HR1210010051863000160", "HU": "HU42117730161111101800000000",
    "IE": "IE29AIBK93115212345678", "IS": "IS140159260076545510730339",
    "IT": "IT40S0542811101000000123456", "LI": "LI21088100002324013AA",
    "LT": "LT121000011101001000", "LU": "LU280019400644750000",
    "LV": "LV80BANK0000435195001", "MT": "MT84MALT011000012345MTLCAST001S",
    "NL": "NL39RABO0300065264", "NO": "NO9386011117947",
    "PL": "PL61109010140000071219812874", "PT": "PT50000201231234567890154",
    "RO": "RO49AAAA1B31007593840000", "SE": "SE3550000000054910000003",
    "SI": "SI56191000000123438", "SK": "SK3112000000198742637541",
}  # fmt: skip
# Countries without IBANs: (routing number, account number) that succeed.
TEST_ACCOUNTS = {
    "US": ("110000000", "000123456789"),
    "CA": ("11000-000", "000123456789"),
    "AU": ("110000", "000123456"),
    "NZ": ("110000", "0000000010"),
}


def iban_is_valid(iban: str) -> bool:
    """ISO 13616: two letters, two check digits, and the mod-97 check."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{8,30}", iban):
        return False
    digits = "".join(str(int(char, 36)) for char in iban[4:] + iban[:4])
    return int(digits) % 97 == 1
