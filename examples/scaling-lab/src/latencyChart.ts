import type { SimulationResult } from '@keel/scaling';

const WIDTH = 760;
const HEIGHT = 360;
const MARGIN = { top: 40, right: 20, bottom: 60, left: 70 };
const COLORS = ['#9aa5b1', '#3e7cb1', '#f0a202', '#2a9d8f'];
const PERCENTILES = ['p50', 'p90', 'p99'] as const;

function escape(text: string): string {
  return text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * An SVG grouped bar chart of p50/p90/p99 latency per strategy on a log scale, so a 10 ms and a
 * 1,000 ms bar both stay readable.
 */
export function renderLatencyChart(results: readonly SimulationResult[]): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const max = Math.max(...results.flatMap((r) => PERCENTILES.map((p) => r[p])), 10);
  const top = 10 ** Math.ceil(Math.log10(max));
  const y = (value: number) =>
    MARGIN.top + plotHeight * (1 - Math.log10(Math.max(value, 1)) / Math.log10(top));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15">Latency by balancing strategy (log scale, successful requests)</text>`,
  ];
  for (let tick = 1; tick <= top; tick *= 10) {
    parts.push(
      `<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e5e7eb"/>`,
      `<text x="${MARGIN.left - 8}" y="${y(tick) + 4}" text-anchor="end">${tick.toLocaleString('en-US')} ms</text>`,
    );
  }
  const group = plotWidth / results.length;
  const bar = (group * 0.7) / PERCENTILES.length;
  results.forEach((result, index) => {
    const x0 = MARGIN.left + index * group + group * 0.15;
    PERCENTILES.forEach((p, j) => {
      const value = result[p];
      const x = x0 + j * bar;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(value).toFixed(1)}" width="${(bar - 2).toFixed(1)}" height="${(MARGIN.top + plotHeight - y(value)).toFixed(1)}" fill="${COLORS[j + 1]}"><title>${escape(`${result.strategy} ${p}: ${value.toFixed(1)} ms`)}</title></rect>`,
        `<text x="${(x + bar / 2).toFixed(1)}" y="${(y(value) - 4).toFixed(1)}" text-anchor="middle" font-size="10">${Math.round(value)}</text>`,
      );
    });
    parts.push(
      `<text x="${(x0 + (bar * PERCENTILES.length) / 2).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${escape(result.strategy)}</text>`,
    );
  });
  PERCENTILES.forEach((p, j) => {
    const x = MARGIN.left + j * 70;
    parts.push(
      `<rect x="${x}" y="${HEIGHT - 24}" width="12" height="12" fill="${COLORS[j + 1]}"/>`,
      `<text x="${x + 16}" y="${HEIGHT - 14}">${p}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}
