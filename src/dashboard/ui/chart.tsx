// A time-series chart drawn by uPlot: x is seconds since the epoch, each series a line with its label
// and colour; resizes with its container. `data-points` on the figure says how many values the series
// hold (for a person's screen reader summary and the browser test alike).
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series { label: string; color: string; values: (number | null)[]; dash?: boolean }

export function Chart({ title, times, series, unit }: { title: string; times: number[]; series: Series[]; unit: string }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | undefined>(undefined);
  const shape = series.map((s) => s.label).join('|');
  useEffect(() => {
    if (!box.current) return;
    const opts: uPlot.Options = {
      width: box.current.clientWidth || 600, height: 220,
      scales: { x: { time: true } },
      axes: [{}, { label: unit, size: 60 }],
      // A series with gaps (minutes without samples) also shows its points: a lone minute has no line to draw.
      series: [{}, ...series.map((s) => ({
        label: s.label, stroke: s.color, width: 2, spanGaps: false, ...(s.dash ? { dash: [6, 4] } : {}),
        points: { show: s.values.includes(null), size: 8, fill: s.color },
      }))],
      legend: { live: false },
    };
    plot.current = new uPlot(opts, [times, ...series.map((s) => s.values)], box.current);
    const ro = new ResizeObserver(() => { if (box.current) plot.current?.setSize({ width: box.current.clientWidth, height: 220 }); });
    ro.observe(box.current);
    return () => { ro.disconnect(); plot.current?.destroy(); plot.current = undefined; };
  }, [shape, unit]);
  useEffect(() => { plot.current?.setData([times, ...series.map((s) => s.values)]); }, [times, series]);
  const points = series.reduce((n, s) => n + s.values.filter((v) => v !== null && v !== undefined).length, 0);
  return (
    <figure class="chart card" data-points={points} aria-label={`${title}: ${series.map((s) => s.label).join(', ')}`}>
      <figcaption>{title}</figcaption>
      <div ref={box} />
      {series.length === 0 ? <p class="empty">No data in this window.</p> : null}
    </figure>
  );
}
