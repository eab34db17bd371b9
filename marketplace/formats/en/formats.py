"""Dates and times as a reader of this language writes them (settings.FORMAT_MODULE_PATH);
templates name the form (DATE_FORMAT, SHORT_DATE_FORMAT, ...), never the letters.
The 24-hour clock everywhere Encore sells."""

DATE_FORMAT = r"l j F Y"
SHORT_DATE_FORMAT = r"j M Y"
DATETIME_FORMAT = r"l j F Y, H:i"
SHORT_DATETIME_FORMAT = r"j M Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = r"j F"
YEAR_MONTH_FORMAT = r"F Y"
