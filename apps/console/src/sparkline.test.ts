import { sparklinePoints } from './sparkline';

describe('sparklinePoints', () => {
  it('puts the oldest value left, the newest right, zero at the bottom and the largest at the top', () => {
    expect(sparklinePoints([0, 5, 10], 100, 20)).toBe('1,19 50,10 99,1');
  });

  it('draws a flat line at the bottom when every value is zero', () => {
    expect(sparklinePoints([0, 0, 0, 0], 31, 10, 0)).toBe('0,10 10.33,10 20.67,10 31,10');
  });

  it('draws one value across the whole width, and nothing for no value', () => {
    expect(sparklinePoints([4], 60, 20, 2)).toBe('2,2 58,2');
    expect(sparklinePoints([], 60, 20)).toBe('');
  });
});
