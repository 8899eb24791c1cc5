/**
 * Which indicators use which facts, through their rules and the metric formulas behind them. A fact
 * that only indicators marked not applicable use need not be asked or reported.
 */
import { formulaRefs } from './formula';
import type { Framework, Indicator } from './load';
import type { Rule } from './schema';

const cache = new WeakMap<Framework, Map<string, Set<string>>>();

/** The facts and metrics a rule reads (its quantities). */
export function quantitiesOf(rule: Rule): string[] {
  switch (rule.kind) {
    case 'bands':
    case 'steps':
    case 'proportional':
      return [rule.metric];
    case 'not_exceeding':
      return [rule.actual, rule.limit];
    default:
      return [];
  }
}

/** Fact key → codes of the leaf indicators whose rules read it (directly or through metrics). */
export function factUsers(framework: Framework): Map<string, Set<string>> {
  let users = cache.get(framework);
  if (users) return users;
  users = new Map();
  const factsOf = (key: string, seen: Set<string>, into: Set<string>) => {
    if (seen.has(key)) return;
    seen.add(key);
    if (framework.factByKey.has(key)) into.add(key);
    const ast = framework.metricByKey.get(key)?.ast;
    if (ast) for (const ref of formulaRefs(ast)) factsOf(ref, seen, into);
  };
  const visit = (ind: Indicator) => {
    if (ind.rule) {
      const facts = new Set<string>();
      for (const q of quantitiesOf(ind.rule)) factsOf(q, new Set(), facts);
      for (const f of facts) {
        if (!users!.has(f)) users!.set(f, new Set());
        users!.get(f)!.add(ind.code);
      }
    }
    ind.children.forEach(visit);
  };
  framework.indicators.forEach(visit);
  cache.set(framework, users);
  return users;
}

/** True when indicators use the fact and every one of them is not applicable. */
export function isFactOnlyForNotApplicable(framework: Framework, factKey: string, notApplicable: (code: string) => boolean): boolean {
  const users = factUsers(framework).get(factKey);
  return !!users && users.size > 0 && [...users].every(notApplicable);
}
