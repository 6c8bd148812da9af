import { describe, expect, it } from 'vitest';
import { conditionHolds, ExprError, parseCondition } from '../src/toolkit/analysis-expr.js';

describe('analysis conditions', () => {
  it("reads Argo's usual conditions over a Prometheus vector", () => {
    expect(conditionHolds('result[0] >= 0.95', [0.97])).toBe(true);
    expect(conditionHolds('result[0] >= 0.95', [0.9])).toBe(false);
    expect(conditionHolds('result[0] >= 0.95', ['0.97'])).toBe(true);
    expect(conditionHolds('len(result) == 0 || result[0] < 0.01', [])).toBe(true);
    expect(conditionHolds('len(result) == 0 || result[0] < 0.01', [0.02])).toBe(false);
  });

  it('reads scalars, fields, word operators and functions', () => {
    expect(conditionHolds('result < 0.05', 0.01)).toBe(true);
    expect(conditionHolds('result.ok == true and result.rate <= 2 * 0.01', { ok: true, rate: 0.02 })).toBe(
      true,
    );
    expect(conditionHolds('not (result.ok)', { ok: true })).toBe(false);
    expect(conditionHolds('!isNaN(result) && abs(result - 1) < 0.5', 1.2)).toBe(true);
    expect(conditionHolds('max(result) > 3 && min(result[0], result[1]) == 1', [1, 4])).toBe(true);
    expect(conditionHolds('default(result, 0) == 0', null)).toBe(true);
    expect(conditionHolds("result == 'ok'", 'ok')).toBe(true);
    expect(conditionHolds('-result[0] < -1 && 7 % 4 == 3 && 1 + 2 * 3 == 7', [2])).toBe(true);
  });

  it('does not look at the right side when the left decides', () => {
    expect(conditionHolds('len(result) == 0 || result[0] > 1', [])).toBe(true);
    expect(conditionHolds('len(result) > 0 && result[0] > 1', [])).toBe(false);
  });

  it('refuses what is not in the language, saying where', () => {
    expect(() => parseCondition('result[0] >= ')).toThrow(/unexpected end at 13/);
    expect(() => parseCondition('process.exit(1)')).toThrow(/unknown name process at 0/);
    expect(() => parseCondition('eval("1")')).toThrow(/unknown function eval/);
    expect(() => parseCondition('result ; 1')).toThrow(ExprError);
    expect(() => parseCondition('result[0')).toThrow(/expected '\]'/);
  });

  it('refuses a measurement the condition cannot decide', () => {
    expect(() => conditionHolds('result[0] > 1', [])).toThrow(/index 0 out of range/);
    expect(() => conditionHolds('result > 1', 'many')).toThrow(/not a number/);
    expect(() => conditionHolds('result', 3)).toThrow(/not true or false/);
  });
});
