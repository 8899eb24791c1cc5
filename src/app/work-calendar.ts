/**
 * China's official working days from the maintained `chinese-days` calendar: statutory holidays off,
 * 调休 weekend workdays on. A year the package does not list yet falls back to Monday–Friday, and
 * `covers` says so (reminders then warn the organiser). Pure JavaScript, so it runs on Workers too.
 */
// The default export: Node's ESM loader finds no named exports in the package's minified CommonJS build.
import chineseDays from 'chinese-days';
import type { WorkCalendar } from '../core/reminders';
import { weekdayCalendar } from '../core/reminders';

const covered = new Map<number, boolean>();

/** The calendar reminders use. */
export const chineseWorkCalendar: WorkCalendar = {
  isWorkday(date) {
    return this.covers(Number(date.slice(0, 4))) ? chineseDays.isWorkday(date) : weekdayCalendar.isWorkday(date);
  },
  covers(year) {
    let known = covered.get(year);
    if (known === undefined) {
      // A listed year has statutory holidays (the package has 2004 on); an unlisted one has none.
      known = chineseDays.getHolidaysInRange(`${year}-01-01`, `${year}-12-31`, false).length > 0;
      covered.set(year, known);
    }
    return known;
  },
};
