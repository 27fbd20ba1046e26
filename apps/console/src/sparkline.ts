/**
 * The points of an SVG polyline for a series: oldest left, newest right, zero at the bottom and the series' largest
 * value at the top (a flat line at the bottom when all are zero). One value draws a flat line across.
 */
export const sparklinePoints = (values: readonly number[], width: number, height: number, pad = 1): string => {
  if (values.length === 0) return '';
  const max = Math.max(0, ...values);
  const top = pad;
  const bottom = height - pad;
  const y = (v: number): number => (max === 0 ? bottom : bottom - (Math.max(0, v) / max) * (bottom - top));
  const round = (n: number): number => Math.round(n * 100) / 100;
  if (values.length === 1) return `${round(pad)},${round(y(values[0]!))} ${round(width - pad)},${round(y(values[0]!))}`;
  const step = (width - 2 * pad) / (values.length - 1);
  return values.map((v, i) => `${round(pad + i * step)},${round(y(v))}`).join(' ');
};
