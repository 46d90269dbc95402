"""Staff, shifts and rosters (issue 12 item 1): hours, coverage of posts, head count, pay, absences,
the calendar and bad input. Figures are computed by hand in each test; references are
/work/shared/REFERENCES.md "Staffing" and the Labour Law of the PRC, art. 44."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from pydantic import ValidationError

from models.staff import (BUILTIN_PATTERNS, CHINA_PUBLIC_HOLIDAYS_2027, DAY_S, HOUR_S, ROLE_LABELS, ROLES,
                          SKILL_LABELS, SKILLS, WEEK_S, Calendar, PayRules, Post, Roster, Shift, ShiftInstance,
                          ShiftPattern, StaffGroup, check_staffing, coverage_gaps, pay, pay_table, required_head_count,
                          uncovered_h)
from twin.text import missing_languages

CAL = Calendar()  # 2027-01-04, a Monday, with the statutory holidays of 2027


def group(id="g", role="guard", skills=("security",), count=1, pattern="two_shift", wage=30.0, absence=0.0):
    return StaffGroup(id=id, role=role, skills=list(skills), count=count, pattern=pattern, wage_cny_per_h=wage,
                      absence_rate=absence)


def hours_per_person_week(pattern: str, count: int, weeks: int = 8, paid_break: bool = False) -> np.ndarray:
    """Paid hours a week of each person of a group on ``pattern``, over ``weeks`` whole weeks."""
    roster = Roster([group(count=count, pattern=pattern)], BUILTIN_PATTERNS, CAL,
                    pay_rules=PayRules(paid_break=paid_break))
    table = roster.shift_table(weeks * WEEK_S)
    # Count each shift by the hours it has inside [0, horizon): clip the night shift running in from day −1.
    inside = (np.minimum(table.end_s, weeks * WEEK_S) - np.maximum(table.start_s, 0.0)) / (table.end_s - table.start_s)
    return np.bincount(table.person, weights=table.paid_h * inside, minlength=count) / weeks


# --- hours of the built-in patterns -------------------------------------------------------------

def test_issue12_item1_three_shift_four_crews_work_42_hours_a_week_each():
    """issue 12 item 1: 四班三运转 — 8-h shifts, two nights, two mornings, two afternoons, two days off:
    6 × 8 h in 8 days = 42 h a week for every person of the four crews (exact over 8 weeks)."""
    assert hours_per_person_week("three_shift", 4) == pytest.approx([42.0] * 4, abs=1e-9)
    assert BUILTIN_PATTERNS["three_shift"].paid_h_per_week() == pytest.approx(42.0)


def test_issue12_item1_two_shift_four_crews_work_42_hours_a_week_each():
    """issue 12 item 1: two 12-h shifts, "day, night, off, off": 24 h in 4 days = 42 h a week."""
    assert hours_per_person_week("two_shift", 4) == pytest.approx([42.0] * 4, abs=1e-9)


def test_issue12_item1_day_shift_pays_40_hours_with_an_unpaid_hour_of_lunch():
    """issue 12 item 1: the day shift, Monday–Friday 08:00–17:00 with a 60-min break in its middle:
    what we count as paid is 9 h − 1 h = 8 h a day, 40 h a week; 45 h when the break is paid."""
    assert hours_per_person_week("day", 1) == pytest.approx([40.0], abs=1e-9)
    assert hours_per_person_week("day", 1, paid_break=True) == pytest.approx([45.0], abs=1e-9)
    shift = Roster([group(pattern="day")], BUILTIN_PATTERNS, CAL).shifts(DAY_S)[0]
    assert (shift.start_s, shift.end_s) == (8 * HOUR_S, 17 * HOUR_S)
    assert (shift.break_start_s, shift.break_end_s) == (12 * HOUR_S, 13 * HOUR_S)  # the break is centred


def test_issue12_item1_split_weekend_and_weekday_patterns_keep_their_hours_and_days():
    """issue 12 item 1: split 07–11 + 16–20 daily = 56 h a week; weekend Sat–Sun 08–20 less a 60-min
    break = 22 h; the weekly patterns keep Monday–Friday (Saturday–Sunday) whatever the start date."""
    assert hours_per_person_week("split", 1) == pytest.approx([56.0], abs=1e-9)
    assert hours_per_person_week("weekend", 1) == pytest.approx([22.0], abs=1e-9)
    wednesday = Calendar(date(2027, 1, 6))
    for pattern, weekdays in (("day", {0, 1, 2, 3, 4}), ("weekend", {5, 6})):
        shifts = Roster([group(pattern=pattern)], BUILTIN_PATTERNS, wednesday).shifts(4 * WEEK_S)
        assert {wednesday.weekday(s.start_s) for s in shifts} == weekdays


def test_issue12_item1_three_shift_four_crews_man_a_post_every_hour_of_a_year():
    """issue 12 item 1: four crews of 四班三运转 cover a 24/7 post with no gap at all over a year, and
    exactly one person is on shift at every hour (the crews never double up)."""
    roster = Roster([group(count=4, pattern="three_shift")], BUILTIN_PATTERNS, CAL)
    assert coverage_gaps(roster, [Post(id="gate", role="guard")], BUILTIN_PATTERNS, 365 * DAY_S) == []
    shifts = roster.shifts(365 * DAY_S)
    table = roster.shift_table(365 * DAY_S)
    hours = np.arange(0.5, 365 * 24, 1.0) * HOUR_S
    on = ((table.start_s[None, :] <= hours[:, None]) & (hours[:, None] < table.end_s[None, :])).sum(axis=1)
    assert np.all(on == 1)
    assert len(shifts) == len(table)


# --- coverage of posts --------------------------------------------------------------------------

def test_issue12_item1_three_guards_on_two_shift_leave_a_24_7_post_uncovered_exactly():
    """issue 12 item 1 / verification "a roster that leaves a 24/7 post uncovered reports the
    uncovered hours exactly": two_shift needs 4 crews (day 08–20, night 20–08, crew k one day later);
    3 guards fill crews 0–2, crew 3 (offset 3 days) is empty. Crew 3 works cycle day (n − 3) mod 4 on
    day n: the day shift when n ≡ 3 (mod 4), the night shift when n ≡ 0. By hand:
    week (days 0–6): nights of days 0 and 4 (12 h each) + the day shift of day 3 (12 h) = 36 h;
    year (365 days): day shifts n = 3, 7, …, 363 (91 × 12 h), nights n = 0, 4, …, 360 (91 × 12 h),
    and the night of day 364 cut at the horizon (20:00–24:00, 4 h) = 2,188 h. Tolerance: exact."""
    roster = Roster([group(count=3, pattern="two_shift")], BUILTIN_PATTERNS, CAL)
    gate = Post(id="gate", role="guard")
    week = coverage_gaps(roster, [gate], BUILTIN_PATTERNS, WEEK_S)
    assert uncovered_h(week) == {"gate": 36.0}
    assert [(g.start_s / HOUR_S, g.end_s / HOUR_S, g.missing) for g in week] == [
        (20.0, 32.0, 1), (3 * 24 + 8.0, 3 * 24 + 20.0, 1), (4 * 24 + 20.0, 5 * 24 + 8.0, 1)]
    year = coverage_gaps(roster, [gate], BUILTIN_PATTERNS, 365 * DAY_S)
    assert uncovered_h(year) == {"gate": 91 * 12 + 91 * 12 + 4.0}
    assert coverage_gaps(Roster([group(count=4, pattern="two_shift")], BUILTIN_PATTERNS, CAL), [gate],
                         BUILTIN_PATTERNS, 365 * DAY_S) == []


def test_issue12_item1_posts_of_one_role_share_its_persons_in_order_and_count_the_missing():
    """issue 12 item 1: 4 guards on two_shift put one person on shift at every hour; a gate needing 2
    and a control room needing 1 are then short by 1 at the gate (the first post, filled first) and
    by 1 in the control room for the whole week: 168 h each; person-hours count each gap × missing."""
    roster = Roster([group(count=4, pattern="two_shift")], BUILTIN_PATTERNS, CAL)
    posts = [Post(id="gate", role="guard", persons=2), Post(id="control", role="guard")]
    gaps = coverage_gaps(roster, posts, BUILTIN_PATTERNS, WEEK_S)
    assert uncovered_h(gaps) == {"gate": 168.0, "control": 168.0}
    assert uncovered_h(gaps, persons=True) == {"gate": 168.0, "control": 168.0}
    assert {g.missing for g in gaps} == {1}
    one_post = coverage_gaps(roster, [Post(id="gate", role="guard", persons=3)], BUILTIN_PATTERNS, WEEK_S)
    assert uncovered_h(one_post, persons=True) == {"gate": 2 * 168.0}


def test_issue12_item1_an_absent_guard_leaves_exactly_their_shift_uncovered():
    """issue 12 item 1: with 4 guards on two_shift and one shift missed (absent), the post is uncovered
    during exactly that shift's hours; a post manned only on weekdays 08–17 (pattern "day") is not
    short at night."""
    roster = Roster([group(count=4, pattern="two_shift")], BUILTIN_PATTERNS, CAL)
    table = roster.shift_table(WEEK_S)
    missed = int(np.flatnonzero(table.start_s == 2 * DAY_S + 8 * HOUR_S)[0])
    absent = table.absent.copy()
    absent[missed] = True
    table = type(table)(**{**{n: getattr(table, n) for n in table.__dataclass_fields__}, "absent": absent})
    gaps = coverage_gaps(roster, [Post(id="gate", role="guard")], BUILTIN_PATTERNS, WEEK_S, shifts=table)
    assert [(g.start_s, g.end_s) for g in gaps] == [(2 * DAY_S + 8 * HOUR_S, 2 * DAY_S + 20 * HOUR_S)]
    # The same with the list of ShiftInstance objects.
    assert coverage_gaps(roster, [Post(id="gate", role="guard")], BUILTIN_PATTERNS, WEEK_S,
                         shifts=table.instances()) == gaps
    day_post = Post(id="desk", role="guard", pattern="day")
    assert coverage_gaps(roster, [day_post], BUILTIN_PATTERNS, WEEK_S, shifts=table) == [
        type(gaps[0])("desk", 2 * DAY_S + 8 * HOUR_S, 2 * DAY_S + 17 * HOUR_S, 1)]


# --- head count of a post -----------------------------------------------------------------------

def test_issue12_item1_a_24_7_post_needs_4_2_persons_at_40_hours_before_leave():
    """issue 12 item 1, REFERENCES "Staffing": 8,760 h / (40 h × 52.14 weeks) = 4.2 persons before
    leave, holidays, training and sickness. The 8,760 h are measured from the "always" pattern.
    Tolerance: 1e-9 against 8,760·7/(40·365) = 4.2 exactly; 0.001 against the reference's 52.14."""
    hc = required_head_count(Post(id="gate", role="guard"), BUILTIN_PATTERNS["always"], annual_leave_days=0,
                             holidays=0, training_days=0, sickness_rate=0)
    assert hc.hours_needed_h == pytest.approx(8760.0, abs=1e-9)
    assert hc.head_count == pytest.approx(4.2, abs=1e-9)
    assert hc.head_count_before_leave == pytest.approx(8760 / (40 * 52.14), abs=1e-3)
    assert hc.head_count_whole == 5
    # The same post on the three-shift pattern (its four crews cover every hour) needs the same.
    assert required_head_count(Post(id="gate", role="guard"), BUILTIN_PATTERNS["three_shift"],
                               annual_leave_days=0, holidays=0, training_days=0,
                               sickness_rate=0).head_count == pytest.approx(4.2, abs=1e-9)


def test_issue12_item1_relief_factor_with_leave_holidays_training_and_sickness_is_4_5_to_5():
    """issue 12 item 1, REFERENCES "Staffing" (4.5–5 with leave): typical values we state — 5 days'
    paid annual leave (statutory minimum), the 13 statutory festival days of 2027, 3 training days
    and 3 % sickness: available = (2,085.71 − 21 × 8) × 0.97 = 1,860.18 h, 8,760 / 1,860.18 = 4.709;
    with 10 days' leave and 4 % sickness 4.86. Both inside 4.5–5. Tolerance 1e-3 on the hand figure."""
    hc = required_head_count(Post(id="gate", role="guard"), BUILTIN_PATTERNS["always"])
    assert hc.holiday_h == 13 * 8.0
    assert hc.available_h_per_person == pytest.approx((40 * 365 / 7 - 21 * 8) * 0.97, abs=1e-9)
    assert hc.head_count == pytest.approx(4.709, abs=1e-3)
    heavier = required_head_count(Post(id="gate", role="guard"), BUILTIN_PATTERNS["always"], annual_leave_days=10,
                                  sickness_rate=0.04)
    assert heavier.head_count == pytest.approx(8760 / ((40 * 365 / 7 - 26 * 8) * 0.96), abs=1e-9)
    for h in (hc, heavier):
        assert 4.5 <= h.head_count <= 5.0
    two = required_head_count(Post(id="gate", role="guard", persons=2), BUILTIN_PATTERNS["always"])
    assert two.head_count == pytest.approx(2 * hc.head_count) and two.relief_factor == pytest.approx(hc.relief_factor)
    day = required_head_count(Post(id="desk", role="agent", pattern="day"), BUILTIN_PATTERNS["day"],
                              annual_leave_days=0, holidays=0, training_days=0, sickness_rate=0)
    assert day.hours_needed_h == 261 * 9.0  # 261 weekdays in the 365 days from a Monday, 08–17


def test_issue12_item1_a_roster_is_checked_against_the_head_count_its_posts_need():
    """issue 12 item 1: a gate (24/7, 1 person) and a control room (24/7, 1 person) need 2 × 4.709 =
    9.42 → 10 guards with the typical leave figures (REFERENCES "Staffing"); 8 guards on two_shift are
    2 short, named in both languages; 10 are enough; before leave (all zero) 8.4 → 9."""
    posts = [Post(id="gate", role="guard"), Post(id="control", role="guard")]
    eight = Roster([group(count=8, pattern="two_shift")], BUILTIN_PATTERNS, CAL)
    (check,) = check_staffing(eight, posts, BUILTIN_PATTERNS)
    assert (check.role, check.posts, check.required, check.rostered, check.missing) == \
        ("guard", ("gate", "control"), 10, 8, 2)
    assert check.required_exact == pytest.approx(2 * 8760 / ((40 * 365 / 7 - 21 * 8) * 0.97), abs=1e-9)
    words = check.message()
    assert "roster has 8" in words["en"] and "9.42" in words["zh-CN"] and not missing_languages(words)
    ten = Roster([group(count=10, pattern="two_shift")], BUILTIN_PATTERNS, CAL)
    assert not check_staffing(ten, posts, BUILTIN_PATTERNS)[0].short
    bare = check_staffing(eight, posts, BUILTIN_PATTERNS, annual_leave_days=0, holidays=0, training_days=0,
                          sickness_rate=0)[0]
    assert (round(bare.required_exact, 9), bare.required) == (8.4, 9)


# --- pay ----------------------------------------------------------------------------------------

def _shift_on(pattern: ShiftPattern, when: date, shift_id: str, rules: PayRules = PayRules(),
              calendar: Calendar = CAL) -> tuple[ShiftInstance, Roster]:
    roster = Roster([group(pattern=pattern.id, count=pattern.crews)], {pattern.id: pattern}, calendar,
                    pay_rules=rules)
    day = (when - calendar.start_date).days
    found = [s for s in roster.shifts((day + 2) * DAY_S) if math.floor(s.start_s / DAY_S) == day
             and s.shift == shift_id]
    return found[0], roster


DAILY = ShiftPattern(id="daily", shifts=[Shift(id="office", start_h=8, hours=9, break_min=60),
                                         Shift(id="evening", start_h=16, hours=8)], cycle=[["office"], ["evening"]],
                     crews=2)
NIGHTS = ShiftPattern(id="nights", shifts=[Shift(id="night", start_h=20, hours=12)], cycle=[["night"], []],
                      crews=2)


def test_issue12_item1_pay_weekday_overtime_is_150_percent_to_the_cent():
    """issue 12 item 1, Labour Law art. 44(1): Tuesday 5 Jan 2027 08:00–17:00 with an unpaid hour's
    break at 30 CNY/h: regular 8 h = 240.00; 2 h beyond it = 2 × 30 × 1.5 = 90.00; no premium."""
    shift, roster = _shift_on(DAILY, date(2027, 1, 5), "office")
    lines = pay(shift, 2 * HOUR_S, roster.persons[0], PayRules(), CAL)
    assert (lines.regular_h, lines.overtime_h) == (8.0, 2.0)
    assert round(lines.regular_cny, 2) == 240.00 and round(lines.overtime_cny, 2) == 90.00
    assert lines.premium_cny == 0.0 and round(lines.total_cny, 2) == 330.00


def test_issue12_item1_pay_rest_day_is_200_percent_under_the_standard_system():
    """issue 12 item 1, art. 44(2): Saturday 9 Jan 2027 08:00–17:00, 30 CNY/h, standard working hours
    (Saturday a rest day): regular 240.00 + rest-day premium (2 − 1) × 30 × 8 = 240.00 → 480.00 = 2 ×;
    1 h of overtime = 60.00. Under the comprehensive system (weekends are roster days) the same
    shift is 240.00 and the overtime 45.00."""
    rules = PayRules(hours_system="standard")
    shift, roster = _shift_on(ShiftPattern(id="every", shifts=[Shift(id="office", start_h=8, hours=9, break_min=60)],
                                           cycle=[["office"]]), date(2027, 1, 9), "office")
    assert shift.rest_day and shift.rest_day_h == 8.0 and not shift.holiday
    lines = pay(shift, HOUR_S, roster.persons[0], rules, CAL)
    assert (round(lines.regular_cny, 2), round(lines.rest_day_premium_cny, 2), round(lines.overtime_cny, 2)) == \
        (240.00, 240.00, 60.00)
    assert lines.rest_day_h == 8.0 and round(lines.total_cny, 2) == 540.00
    plain = pay(shift, HOUR_S, roster.persons[0], PayRules(), CAL)
    assert (round(plain.premium_cny, 2), round(plain.overtime_cny, 2), round(plain.total_cny, 2)) == \
        (0.0, 45.00, 285.00)


def test_issue12_item1_pay_statutory_holiday_is_300_percent_and_split_at_midnight():
    """issue 12 item 1, art. 44(3): National Day, Friday 1 Oct 2027, 16:00–24:00 at 30 CNY/h: regular
    8 × 30 = 240.00 + holiday premium (3 − 1) × 30 × 8 = 480.00 → 720.00 = 3 ×. Overtime of 2 h runs
    to 02:00 on 2 Oct (also a holiday): 2 × 30 × 3 = 180.00. A night shift from 20:00 on 30 Sep to
    08:00 on 1 Oct has 8 holiday hours (00–08): premium 2 × 30 × 8 = 480.00 on a regular 360.00."""
    shift, roster = _shift_on(DAILY, date(2027, 10, 1), "evening")
    person = roster.persons[0]
    lines = pay(shift, 2 * HOUR_S, person, PayRules(), CAL)
    assert shift.holiday and shift.holiday_h == 8.0
    assert (round(lines.regular_cny, 2), round(lines.holiday_premium_cny, 2), round(lines.overtime_cny, 2)) == \
        (240.00, 480.00, 180.00)
    assert round(lines.regular_cny + lines.holiday_premium_cny, 2) == round(3 * 30 * 8, 2)
    night, roster = _shift_on(NIGHTS, date(2027, 9, 30), "night")
    n = pay(night, 0.0, roster.persons[0], PayRules(), CAL)
    assert night.holiday_h == 8.0 and night.rest_day_h == 8.0
    assert (round(n.regular_cny, 2), round(n.holiday_premium_cny, 2), n.overtime_cny) == (360.00, 480.00, 0.0)
    # Overtime beginning on a working day and running into a holiday: 23:00–01:00 on 30 Sep/1 Oct.
    eve, roster = _shift_on(DAILY, date(2027, 9, 29), "evening")
    assert eve.holiday_h == 0.0
    shifted = ShiftInstance(**{**eve.__dict__, "start_s": eve.start_s + DAY_S - HOUR_S,
                               "end_s": eve.end_s + DAY_S - HOUR_S})  # 15:00–23:00 on 30 Sep
    ot = pay(shifted, 2 * HOUR_S, roster.persons[0], PayRules(), CAL)
    assert round(ot.overtime_cny, 2) == round(30 * 1.5 + 30 * 3, 2) == 135.00


def test_issue12_item1_pay_night_premium_counts_the_hours_in_the_night_window():
    """issue 12 item 1: a night premium of 5 CNY/h over 22:00–06:00. Night shift 20:00–08:00 (no
    break): 8 night hours → 40.00. An evening shift 16:00–24:00 with 1 h overtime to 01:00: 2 + 1 =
    3 night hours → 15.00 (Tuesday 12 Jan 2027, no holiday). A 12-h night shift with a 60-min break
    centred at 01:30–02:30 under unpaid breaks: 7 night hours → 35.00."""
    rules = PayRules(night_premium_cny_per_h=5.0)
    night, roster = _shift_on(NIGHTS, date(2027, 1, 12), "night", rules)
    lines = pay(night, 2 * HOUR_S, roster.persons[0], rules, CAL)
    assert night.night_h == 8.0 and lines.night_h == 8.0 and round(lines.night_premium_cny, 2) == 40.00
    evening, roster = _shift_on(DAILY, date(2027, 1, 12), "evening", rules)
    lines = pay(evening, HOUR_S, roster.persons[0], rules, CAL)
    assert lines.night_h == 3.0 and round(lines.night_premium_cny, 2) == 15.00
    with_break = ShiftPattern(id="nb", shifts=[Shift(id="night", start_h=20, hours=12, break_min=60)],
                              cycle=[["night"], []], crews=2)
    nb, roster = _shift_on(with_break, date(2027, 1, 12), "night", rules)
    assert (nb.break_start_s - nb.start_s, nb.paid_h, nb.night_h) == (5.5 * HOUR_S, 11.0, 7.0)
    assert round(pay(nb, 0.0, roster.persons[0], rules, CAL).night_premium_cny, 2) == 35.00


def test_issue12_item1_an_absent_shift_pays_only_the_sick_pay_share():
    """issue 12 item 1: a missed shift pays nothing by default, ``absence_paid_share`` of its regular
    pay when sick pay is modelled (0.8 × 8 h × 30 = 192.00)."""
    shift, roster = _shift_on(DAILY, date(2027, 1, 5), "office")
    missed = ShiftInstance(**{**shift.__dict__, "absent": True})
    assert pay(missed, 0.0, roster.persons[0], PayRules(), CAL).total_cny == 0.0
    assert round(pay(missed, 0.0, roster.persons[0], PayRules(absence_paid_share=0.8), CAL).total_cny, 2) == 192.00


@pytest.mark.parametrize("system", ["comprehensive", "standard"])
def test_issue12_item1_pay_table_gives_the_same_lines_as_pay_for_a_year_of_shifts(system):
    """issue 12 item 1: the array form of pay (for a year's staff-time records) equals :func:`pay`
    shift by shift (to 1e-9 CNY), with overtime up to 30 h (across midnights, into holidays), night
    premiums, absences paid at a sick-pay share, under both working-hours systems."""
    rules = PayRules(hours_system=system, night_premium_cny_per_h=4.0, absence_paid_share=0.6, paid_break=False)
    roster = Roster([group(id="g", count=8, pattern="two_shift", wage=27.5, absence=0.1),
                     group(id="t", role="technician", skills=("electrical",), count=3, pattern="day", wage=41.0),
                     group(id="c", role="cleaner", skills=("cleaning",), count=2, pattern="weekend", wage=22.0)],
                    BUILTIN_PATTERNS, CAL, pay_rules=rules)
    table = roster.shift_table(365 * DAY_S, np.random.default_rng(3))
    overtime = np.random.default_rng(4).choice([0.0, 900.0, 2.5 * HOUR_S, 30 * HOUR_S], size=len(table))
    columns = pay_table(table, overtime, roster, rules, CAL)
    for i, shift in enumerate(table.instances()):
        lines = pay(shift, float(overtime[i]), roster.persons[shift.person], rules, CAL)
        for name in ("regular_h", "overtime_h", "night_h", "rest_day_h", "holiday_h", "regular_cny", "overtime_cny",
                     "night_premium_cny", "rest_day_premium_cny", "holiday_premium_cny", "premium_cny", "total_cny"):
            assert columns[name][i] == pytest.approx(getattr(lines, name), abs=1e-9), (i, name)


# --- absences -------------------------------------------------------------------------------------

def test_issue12_item1_absent_share_matches_the_absence_rate_within_a_binomial_99_percent_interval():
    """issue 12 item 1: 60 persons on three_shift for a year with absence_rate 0.05: the share of
    shifts missed lies within p ± 2.576·√(p(1−p)/n) (binomial, 99 %); rng None: nobody absent; a
    rate of 0 draws nothing from the generator (a model without absences keeps its random stream)."""
    roster = Roster([group(count=60, pattern="three_shift", absence=0.05)], BUILTIN_PATTERNS, CAL)
    table = roster.shift_table(365 * DAY_S, np.random.default_rng(20271204))
    n, p = len(table), 0.05
    half = 2.576 * math.sqrt(p * (1 - p) / n)
    assert n > 10_000
    assert abs(table.absent.mean() - p) <= half
    assert not roster.shift_table(365 * DAY_S).absent.any()
    rng = np.random.default_rng(7)
    before = rng.bit_generator.state
    Roster([group(count=60, pattern="three_shift")], BUILTIN_PATTERNS, CAL).shifts(365 * DAY_S, rng)
    assert rng.bit_generator.state == before
    again = roster.shift_table(365 * DAY_S, np.random.default_rng(20271204))
    assert np.array_equal(again.absent, table.absent)  # same seed, same absences


# --- the calendar ---------------------------------------------------------------------------------

def test_issue12_item1_calendar_weekday_hour_month_and_rest_days():
    """issue 12 item 1: t = 0 is 00:00 on Monday 4 Jan 2027; 13:30 on day 31 is Thursday 4 Feb;
    Saturday 9 Jan is a rest day, Friday 1 Oct a holiday, Tuesday 5 Jan neither; t < 0 is the day before."""
    t = 31 * DAY_S + 13.5 * HOUR_S
    assert (CAL.day_index(t), CAL.weekday(t), CAL.hour_of_day(t), CAL.month(t), CAL.date_of(t)) == \
        (31, 3, 13.5, 2, date(2027, 2, 4))
    assert CAL.weekday(0.0) == 0 and CAL.date_of(-1.0) == date(2027, 1, 3) and CAL.weekday(-1.0) == 6
    assert CAL.is_rest_day(CAL.t_of(date(2027, 1, 9), 10)) and not CAL.is_holiday(CAL.t_of(date(2027, 1, 9)))
    assert CAL.is_holiday(CAL.t_of(date(2027, 10, 1), 23.99)) and CAL.is_rest_day(CAL.t_of(date(2027, 10, 1)))
    assert not CAL.is_rest_day(CAL.t_of(date(2027, 1, 5), 12))
    ts = np.arange(0, 365 * DAY_S, 7 * HOUR_S)
    assert CAL.months(ts).tolist() == [CAL.month(x) for x in ts]
    rest, holiday = CAL.day_flags(np.arange(-3, 365))
    assert rest.tolist() == [CAL.is_rest_day(d * DAY_S) for d in range(-3, 365)]
    assert holiday.tolist() == [CAL.is_holiday(d * DAY_S) for d in range(-3, 365)]


def test_issue12_item1_the_13_statutory_festival_days_of_2027():
    """issue 12 item 1: 《全国年节及纪念日放假办法》 (2024 amendment): New Year 1, Spring Festival 4 (eve
    5 Feb + 6–8 Feb, lunar New Year 6 Feb 2027), Qingming 1 (5 Apr), Labour Day 2, Dragon Boat 1
    (9 Jun), Mid-Autumn 1 (15 Sep), National Day 3 = 13 days; the adjusted weekends of the State
    Council's notice are not in it; holidays are a parameter of the calendar."""
    days = CHINA_PUBLIC_HOLIDAYS_2027
    assert len(days) == len(set(days)) == 13 and all(d.year == 2027 for d in days)
    assert {date(2027, 1, 1), date(2027, 2, 5), date(2027, 2, 8), date(2027, 4, 5), date(2027, 5, 2),
            date(2027, 6, 9), date(2027, 9, 15), date(2027, 10, 3)} <= set(days)
    assert sum(CAL.is_holiday(d * DAY_S) for d in range(-3, 362)) == 13
    no_holidays = Calendar(date(2027, 1, 4), holidays=())
    assert not no_holidays.is_holiday(no_holidays.t_of(date(2027, 10, 1)))


# --- on duty --------------------------------------------------------------------------------------

def test_issue12_item1_on_duty_names_the_persons_on_shift_by_role_and_skill():
    """issue 12 item 1: at 03:00 on day 0 the two_shift guard whose night shift began at 20:00 the day
    before is on duty; the day technicians are not; at 10:00 the day technician (electrical) is, on
    a break at 12:30 only when breaks count."""
    roster = Roster([group(id="guard", count=4, pattern="two_shift"),
                     group(id="tech", role="technician", skills=("electrical", "plumbing"), count=1, pattern="day")],
                    BUILTIN_PATTERNS, CAL)
    shifts = roster.shifts(WEEK_S)
    guards = roster.on_duty(shifts, 3 * HOUR_S, role="guard")
    assert len(guards) == 1 and roster.persons[guards[0]].id == "guard-3"  # crew 2 worked day −1's night
    assert roster.on_duty(shifts, 3 * HOUR_S, role="technician") == []
    tech = roster.person("tech-1").index
    assert roster.on_duty(shifts, 10 * HOUR_S, skill="plumbing") == [tech]
    assert roster.on_duty(shifts, 12.5 * HOUR_S, skill="electrical", on_break=False) == []
    assert roster.on_duty(shifts, 12.5 * HOUR_S, skill="electrical") == [tech]


# --- labels and bad input -------------------------------------------------------------------------

def test_issue12_item1_roles_skills_and_their_parameters_are_labelled_in_both_languages():
    """issue 12 item 1 / issue 11 item 4.2: every role and skill has words in en and zh-CN; every
    field of the staff models carries x-label and x-description in both languages."""
    assert set(ROLE_LABELS) == set(ROLES) and set(SKILL_LABELS) == set(SKILLS)
    assert not any(missing_languages(w) for w in [*ROLE_LABELS.values(), *SKILL_LABELS.values()])
    for model in (Shift, ShiftPattern, StaffGroup, Post, PayRules):
        for name, prop in model.model_json_schema()["properties"].items():
            assert not missing_languages(prop.get("x-label")), f"{model.__name__}.{name}"
            assert not missing_languages(prop.get("x-description")), f"{model.__name__}.{name}"


@pytest.mark.parametrize("build, value", [
    (lambda: group(role="chef"), "'chef'"),
    (lambda: group(skills=("security", "welding")), "'welding'"),
    (lambda: group(wage=-12.5), "-12.5"),
    (lambda: group(absence=0.75), "0.75"),
    (lambda: Post(id="gate", role="butler"), "'butler'"),
    (lambda: Shift(id="long", start_h=8, hours=4, break_min=300), "300"),
    (lambda: Shift(id="late", start_h=25, hours=4), "25"),
    (lambda: ShiftPattern(id="bad", shifts=[Shift(id="day", start_h=8, hours=8)], cycle=[["day"], ["nite"]]),
     "'nite'"),
], ids=["unknown role", "unknown skill", "negative wage", "absence rate above 0.5", "post role",
        "break longer than the shift", "start after 24 h", "cycle names an unknown shift"])
def test_issue12_item1_bad_input_is_refused_naming_the_value(build, value):
    """issue 12 "Bad input": unknown roles or skills, negative wages, an absence rate out of [0, 0.5],
    a cycle naming a shift the pattern lacks: a pydantic error whose message contains the value."""
    with pytest.raises(ValidationError) as err:
        build()
    assert value in str(err.value)


@pytest.mark.parametrize("shifts, cycle, names", [
    ([("a", 8, 9), ("b", 16, 8)], [["a", "b"]], ("'a'", "'b'")),                 # the same day
    ([("night", 20, 12), ("day", 6, 8)], [["night"], ["day"]], ("'night'", "'day'")),  # past midnight
    ([("night", 20, 12), ("day", 7, 8)], [["day", "night"]], ("'night'", "'day'")),   # into the next cycle
    ([("x", 8, 8)], [["x", "x"]], ("'x'",)),                                     # twice the same day
], ids=["same day", "night into next day", "night wraps into the next cycle", "one shift twice"])
def test_issue12_item1_a_pattern_that_overlaps_itself_is_refused_naming_both_shifts(shifts, cycle, names):
    """issue 12 "Bad input": one person cannot work two shifts at once — on the same day, or a night
    shift running past midnight into the next cycle day's shift (the cycle wraps round)."""
    with pytest.raises(ValidationError) as err:
        ShiftPattern(id="clash", shifts=[Shift(id=i, start_h=a, hours=h) for i, a, h in shifts], cycle=cycle)
    message = str(err.value)
    assert "'clash'" in message and "overlaps" in message
    for name in names:
        assert name in message


def test_issue12_item1_an_unknown_pattern_is_refused_naming_group_and_pattern():
    """issue 12 "Bad input": a group or post naming a pattern that is neither built in nor the scenario's."""
    with pytest.raises(ValueError, match=r"staff group 'g'.*'rota9'"):
        Roster([group(pattern="rota9")], BUILTIN_PATTERNS, CAL)
    roster = Roster([group()], BUILTIN_PATTERNS, CAL)
    with pytest.raises(ValueError, match=r"post 'gate'.*'nightly'"):
        coverage_gaps(roster, [Post(id="gate", role="guard", pattern="nightly")], BUILTIN_PATTERNS, WEEK_S)


# --- properties: the roster and its gaps against a day-by-day construction ------------------------

def _by_hand(roster: Roster, horizon_s: float) -> list[tuple[int, float, float]]:
    """(person, start_s, end_s) of every shift overlapping [0, horizon), built day by day from the
    pattern's definition: crew = n mod crews, crew k starts floor(k·L/crews) days later, cycle day 0
    is the start date or the Monday on or before it."""
    out = []
    for p in roster.persons:
        pattern = roster.patterns[p.pattern]
        length = len(pattern.cycle)
        anchor = -roster.calendar.start_date.weekday() if pattern.anchor == "monday" else 0
        offset = p.crew * length // pattern.crews
        for day in range(-1, math.ceil(horizon_s / DAY_S)):
            for sid in pattern.cycle[(day - anchor - offset) % length]:
                s = pattern.shift(sid)
                start = day * DAY_S + s.start_h * HOUR_S
                end = start + s.hours * HOUR_S
                if end > 0 and start < horizon_s:
                    out.append((p.index, start, end))
    return sorted(out, key=lambda x: (x[1], x[0], x[2]))

_group_st = st.tuples(st.sampled_from(["guard", "cleaner"]), st.integers(0, 6),
                      st.sampled_from(["two_shift", "three_shift", "day", "split", "weekend"]),
                      st.sampled_from([0.0, 0.2]))


@settings(max_examples=30, deadline=None)
@given(groups=st.lists(_group_st, min_size=1, max_size=3),
       posts=st.lists(st.tuples(st.sampled_from(["guard", "cleaner"]), st.integers(1, 3),
                                st.sampled_from(["always", "day", "two_shift", "split", "weekend"])),
                      min_size=1, max_size=3),
       start=st.dates(date(2027, 1, 1), date(2027, 12, 20)), days=st.integers(1, 15), seed=st.integers(0, 1000))
def test_issue12_item1_roster_and_gaps_match_a_day_by_day_construction(groups, posts, start, days, seed):
    """issue 12 item 1 (property): for random groups, posts, start dates and horizons, the roster's
    shifts are exactly those built day by day from the patterns, and coverage_gaps' shortfall equals
    a count at every half hour (every shift edge of these patterns lies on a whole hour, so the
    half-hour midpoints see every segment: the comparison is exact)."""
    calendar = Calendar(start)
    roster = Roster([group(id=f"g{i}", role=role, skills=("security",), count=n, pattern=pat, absence=a)
                     for i, (role, n, pat, a) in enumerate(groups)], BUILTIN_PATTERNS, calendar)
    horizon = days * DAY_S
    table = roster.shift_table(horizon, np.random.default_rng(seed))
    assert list(zip(table.person.tolist(), table.start_s.tolist(), table.end_s.tolist())) == _by_hand(roster, horizon)
    post_list = [Post(id=f"p{i}", role=role, persons=k, pattern=pat) for i, (role, k, pat) in enumerate(posts)]
    gaps = coverage_gaps(roster, post_list, BUILTIN_PATTERNS, horizon, shifts=table)
    t = np.arange(0.5, days * 48) * 1800.0
    expected = {}
    for role in {p.role for p in post_list}:
        on = ~table.absent & np.array([roster.persons[i].role == role for i in table.person], dtype=bool)
        available = ((table.start_s[on][None, :] <= t[:, None]) & (t[:, None] < table.end_s[on][None, :])).sum(1)
        for post in (p for p in post_list if p.role == role):
            demand_roster = Roster([group(id="d", count=BUILTIN_PATTERNS[post.pattern].crews, pattern=post.pattern)],
                                   BUILTIN_PATTERNS, calendar)
            d = _by_hand(demand_roster, horizon)
            manned = np.zeros(t.size, bool)
            for _, s, e in d:
                manned |= (s <= t) & (t < e)
            need = np.where(manned, post.persons, 0)
            missing = np.maximum(need - available, 0)
            available = np.maximum(available - need, 0)
            expected[post.id] = float(missing.sum() * 1800.0 / HOUR_S)
    got = uncovered_h(gaps, persons=True)
    assert {k: v for k, v in expected.items() if v > 0} == pytest.approx(got, abs=1e-9)
