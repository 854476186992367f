"""English: words and rules of the temporal tagger.

Word tables map a surface form (case and accents are folded when matching) to its meaning;
month and weekday names must be capitalized. Rules are tried all together; the longest
match wins, then the earlier rule. In a pattern, ``<category>`` is a slot, a space is any
white space, `` ?`` optional white space, ``(?P<span>...)`` marks the reported text.
"""

from collections.abc import Mapping

from ..lexicon import Lexicon, Rule

# fmt: off

MONTHS_FULL = {
    "January": 1, "February": 2, "March": 3, "April": 4, "May": 5, "June": 6, "July": 7,
    "August": 8, "September": 9, "October": 10, "November": 11, "December": 12,
}
MONTH_ABBREVIATIONS = {
    "Jan.": 1, "Jan": 1, "Feb.": 2, "Feb": 2, "Mar.": 3, "Apr.": 4, "Apr": 4, "Jun.": 6,
    "Jul.": 7, "Aug.": 8, "Aug": 8, "Sept.": 9, "Sept": 9, "Sep.": 9, "Sep": 9, "Oct.": 10,
    "Oct": 10, "Nov.": 11, "Nov": 11, "Dec.": 12, "Dec": 12,
}
NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "hundred": 100, "a hundred": 100, "a couple of": 2, "a few": "X", "few": "X",
    "several": "X", "many": "X",
}
UNITS = {
    "day": "D", "days": "D", "week": "W", "weeks": "W", "month": "M", "months": "M",
    "year": "Y", "years": "Y", "hour": "H", "hours": "H", "minute": "MIN", "minutes": "MIN",
    "second": "S", "seconds": "S", "decade": "DE", "decades": "DE", "century": "CE",
    "centuries": "CE",
}

WORDS: dict[str, Mapping[str, object]] = {
    "month": {**MONTHS_FULL, **MONTH_ABBREVIATIONS},
    "month_full": MONTHS_FULL,
    "weekday": {
        "Monday": 0, "Tuesday": 1, "Wednesday": 2, "Thursday": 3, "Friday": 4, "Saturday": 5,
        "Sunday": 6,
    },
    "number": NUMBERS,
    "unit": UNITS,
    "cal_unit": {"week": "W", "month": "M", "year": "Y", "weekend": "WE", "week-end": "WE"},
    "rel": {
        "last": "past", "past": "past", "previous": "past", "next": "next", "coming": "next",
    },
    "this": {"this": "this"},
    "deictic": {
        "yesterday": (-1, None), "today": (0, None), "tomorrow": (1, None),
        "tonight": (0, "NI"), "last night": (-1, "NI"), "this morning": (0, "MO"),
        "this afternoon": (0, "AF"), "this evening": (0, "EV"),
        "the day before yesterday": (-2, None), "the day after tomorrow": (2, None),
    },
    "day_noun": {"day": "D"},  # "the next day": a narrower trigger than any unit
    "pod": {"morning": "MO", "afternoon": "AF", "evening": "EV", "night": "NI"},
    "pom": {
        "early": "START", "the beginning of": "START", "the start of": "START", "mid": "MID",
        "the middle of": "MID", "late": "END", "the end of": "END", "earlier": "EARLIER",
        "later": "LATER",
    },
    "season": {"spring": "SP", "summer": "SU", "autumn": "FA", "fall": "FA", "winter": "WI"},
    "ordinal": {
        "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    },
    "clock": {"noon": "12:00", "midday": "12:00", "midnight": "00:00"},
    "ampm": {"a.m.": "am", "a. m.": "am", "am": "am", "p.m.": "pm", "p. m.": "pm", "pm": "pm"},
    "present": {
        "now": "PRESENT_REF", "currently": "PRESENT_REF", "nowadays": "PRESENT_REF",
        "at present": "PRESENT_REF", "right now": "PRESENT_REF",
    },
    "every": {"every": True, "each": True},
    "set_phrase": {"annually": "P1Y", "per year": "P1Y", "per day": "P1D"},
    "quant": {
        "more than": "MORE_THAN", "less than": "LESS_THAN",
        "about": "APPROX", "around": "APPROX", "nearly": "LESS_THAN", "almost": "LESS_THAN",
        "at least": "EQUAL_OR_MORE", "approximately": "APPROX",
    },
    "cue": {
        "in": True, "since": True, "by": True, "until": True, "till": True, "of": True,
        "during": True, "before": True, "after": True, "from": True, "through": True,
        "throughout": True, "circa": True, "around": True, "year": True, "fiscal": True,
        "early": True, "late": True, "mid": True, "last": True, "next": True, "this": True,
        "between": True, "and": True,
    },
}

DAY = r"<day>(?:st|nd|rd|th)?"
DAY2 = r"<day2>(?:st|nd|rd|th)?"
TO = r" ?(?:-|–|to|through|and|until) ?"

RULES = (
    # days
    Rule("date", rf"(?:<weekday>,? )?<month> {DAY}(?:,? <year>)?",
         ("Sept. 4, 2019", "September 4th", "Friday, March 22", "July 30")),
    Rule("date", rf"(?:<weekday>,? )?(?:the )?{DAY} (?:of )?<month>(?:,? <year>)?",
         ("4 September 2023", "the 4th of September")),
    Rule("date", r"<month_num>/<day>/<year>", ("9/4/2023",)),
    Rule("date", r"<year>-<month_num>-<day>", ("2023-09-04",)),
    Rule("date_range", rf"(?:from |between )?<month> {DAY}{TO}{DAY2}(?:,? <year>)?",
         ("June 9-12", "from June 9 to 12", "between June 9 and 12, 2023")),
    Rule("date_range", rf"(?:from |between )?<month> {DAY}{TO}<month2> {DAY2}(?:,? <year>)?",
         ("from June 30 to July 2",)),
    Rule("weekday", r"(?:<rel> |<this> )?<weekday>(?: <pod>)?",
         ("Monday", "last Wednesday", "next Friday", "Sunday night")),
    Rule("deictic", r"<deictic>(?: <pod>)?",
         ("yesterday", "today", "tonight", "yesterday afternoon")),
    # days counted from a day of the story ("the next day"): left undated
    Rule("relative_day", r"the (?:next|following|previous|same) <day_noun>(?: <pod>)?",
         ("the next day", "the following day", "the same day")),
    Rule("relative_day", r"(?P<span>the <day_noun>) (?:before|after)(?! (?:tomorrow|yesterday)\b)",
         ("the day before",)),
    Rule("relative_day", r"the (?:next|following|previous) <pod>", ("the next morning",)),
    Rule("ago", r"<number> <unit> ago", ("three days ago", "a year ago")),
    Rule("ahead_if_future", r"in <number> <unit>", ("in two weeks",)),
    Rule("ahead", r"<number> <unit> from now", ("two weeks from now",)),
    # longer spans
    Rule("relative_unit", r"(?:the )?<rel> <cal_unit>",
         ("last week", "the past week", "next year")),
    Rule("relative_unit", r"<this> (?:fiscal )?<cal_unit>", ("this month", "this fiscal year")),
    Rule("relative_unit", r"(?:over|during|at|on) (?P<span>the (?P<cal_unit>weekend|week-end))",
         ("over the weekend",)),
    Rule("month", r"<month_full>,? <year>", ("May 2010",)),
    Rule("month", r"<rel> <month_full>", ("last June", "next March")),
    Rule("month", r"<month_full>", ("February",)),
    Rule("part_of_month", r"<pom>(?:-| )(?:<rel> )?<month_full>(?:,? <year>)?",
         ("mid-February", "early August", "late last July", "the end of July")),
    Rule("part_of_month", r"<pom> (?:the |<this> |<rel> )?<cal_unit>",
         ("early next month", "Earlier this month", "the end of the year", "late last year")),
    Rule("part_of_month", r"<pom>(?:-| )<year>", ("early 2011", "mid-2023")),
    Rule("year", r"(?:the year )<year>", ("the year 2000",)),
    Rule("year", r"<cue> (?P<span><year>)", ("in 1987", "since 1990")),
    Rule("year_range", r"(?:from|between) <year> (?:to|and|through) <year2>",
         ("from 2009 to 2010",)),
    Rule("year_range", r"<year>(?:-|–|/)<year2>", ("2009-2010", "2002/2003")),
    Rule("year_range", r"<year>(?:-|–)<yy>", ("1957-58",)),
    # a year used as an adjective after a determiner: "a 2009 analysis", "his 2007 campaign"
    Rule("year", r"(?:a|his|her|its|their|our) (?P<span>(?P<year>(?:19|20)\d\d))(?!-)",
         ("a 2009", "his 2007")),
    Rule("decade", r"(?:the )?(?:<pom>(?:-| ))?<decade_year>'?s", ("the 1990s", "the mid-1990s")),
    Rule("decade", r"the '<yy>s", ("the '90s",)),
    Rule("season", r"(?:the )?(?:<rel>|<this>) <season>", ("last summer", "this fall")),
    Rule("season", r"(?:the )?<season> (?:of )?<year>", ("summer 2022", "the fall of 2022")),
    Rule("quarter", r"(?:the )?<ordinal>(?:-| )quarter(?: (?:of )?<year>)?",
         ("the first quarter", "third-quarter")),
    # not days
    Rule("time_range", r"(?:from |between )?<hour>(?::<minute>)?(?: ?<ampm>)?"
         r" ?(?:-|–|to|and|until) ?<hour2>(?::<minute2>)? ?<ampm2>",
         ("from 9 a.m. to 5 p.m.", "9-11 am")),
    Rule("time", r"<hour>(?::<minute>)? ?<ampm>", ("9 a.m.", "5 p.m.", "8 PM", "10:30am")),
    Rule("time", r"<hour>:<minute>(?: (?:GMT|UTC|ET|EST|EDT|PT|PST|BST|CET))?", ("15:00 GMT",)),
    Rule("time", r"<hour> o'clock", ("9 o'clock",)),
    Rule("time", r"<clock>", ("noon", "midnight")),
    Rule("duration",
         r"(?:<quant> )?(?:the (?:past|last|next|first|previous) )?"
         r"<number>(?:-| )<unit>(?![-\s]old)",
         ("48 hours", "three days", "a decade", "the past two years", "four-week",
          "almost seven years")),
    Rule("duration", r"(?:the )?(?:recent|past|last|next|coming) (?:several |few )?<unit>",
         ("recent weeks", "the past several months")),
    # a vague plural: "for years", "take weeks", "days before he underwent"
    Rule("duration",
         r"(?:for|take) "
         r"(?P<span>(?:several |many )?(?=(?:minute|hour|day|week|month|year|decade|centurie)s\b)<unit>)"
         r"(?! (?:ago|later|earlier)\b)",
         ("for years", "take weeks", "for several months")),
    Rule("set", r"<every> <unit>", ("every day", "each year")),
    Rule("set", r"<every> <weekday>", ("every Monday",)),
    Rule("set", r"<every> <pod>", ("every morning",)),
    Rule("set", r"<set_phrase>", ("annually",)),
    Rule("present", r"<present>", ("now", "currently")),
    # names that contain a date word but are no date: they outrank it, then are dropped
    Rule("not_a_date", r"<weekday> (?:Times|Telegraph|Mirror|Express|Herald|Post)",
         ("Sunday Times",)),
    Rule("not_a_date", r"(?:Mail|Independent) on <weekday>", ("Mail on Sunday",)),
    Rule("not_a_date", r"(?:Black|Cyber|Good|Super|Bloody|Ash|Holy|Easter) <weekday>",
         ("Black Friday", "Super Tuesday")),
    Rule("not_a_date", r"(?:USA|Russia) <deictic>", ("USA Today",)),
    Rule("not_a_date", r"(?:Theresa|Brian) <month_full>", ("Theresa May",)),
)

LEXICON = Lexicon(
    code="en",
    words=WORDS,
    rules=RULES,
    capitalized=frozenset({"month", "month_full", "weekday"}),
    needs_cue=frozenset({"may", "march", "a second", "one second"}),
    future_cues=(
        r"will", r"'ll", r"(?:is|are) (?:due |set |scheduled |expected )?to", r"scheduled",
        r"expected to", r"plans? to", r"planned", r"upcoming", r"shall", r"going to",
        r"(?:postponed|delayed|rescheduled|adjourned) (?:until|to|till)",
    ),
    background_cues=(
        r"(?:elected|born|founded|established|created|died|married|since)(?:\s+in)?",
    ),
    report_cues=(  # "..., the White House said on Monday": the day of the statement
        r"(?<!\bbe\s)(?<!\bbeen\s)(?<!\bbeing\s)"  # not a passive: "will be announced on"
        r"(?:said|announced|stated|confirmed|declared|reported|added|wrote|tweeted|revealed"
        r"|disclosed|indicated|explained|insisted|warned|claimed|denied|acknowledged|noted"
        r"|argued|replied|responded|testified|admitted|told(?:\s+(?:the\s+)?[\w.'’-]+)?)"
        r"(?:\s+in\s+a\s+(?:statement|tweet|post|briefing|interview))?"
        r"(?:\s+(?:late|early))?(?:\s+on)?",
    ),
    metadata_lines=(
        r"^\s*(?i:published|updated|last updated|posted|first published)\b",
        r"(?i:\b\d+\s*min(?:ute)?s?\.?\s+read\b)",
        r"^\s*(?i:by)\s+[A-Z][\w'’.-]+(?:\s+(?:[A-Z][\w'’.-]+|and|&))*\s*$",
    ),
    credit_lines=(
        r"^\s*(?:credits?|photos?|photograph|image|picture)\s*:",
        r"\bAFP\s+PHOTO\b",
        r"©",
        r"\bGetty\s+Images\b",
        r"\(Photo(?:graph)? by\b",
        r"\bREUTERS/",
    ),
)
# fmt: on
