/** Renders rows as a plain-text table with a header rule; long cells wrap at `maxWidth`. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
  maxWidth = 90,
): string {
  const cells = [header, ...rows].map((row) => row.map((cell) => wrap(String(cell), maxWidth)));
  const widths = header.map((_, column) =>
    Math.max(...cells.flatMap((row) => row[column]!.map((line) => line.length))),
  );
  const render = (row: string[][]): string[] => {
    const height = Math.max(...row.map((cell) => cell.length));
    return Array.from({ length: height }, (_, line) =>
      row
        .map((cell, column) => (cell[line] ?? '').padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    );
  };
  const rule = widths.map((width) => '─'.repeat(width)).join('  ');
  return [...render(cells[0]!), rule, ...cells.slice(1).flatMap(render)].join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  lines.push(current);
  return lines;
}
