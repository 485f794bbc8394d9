/** Text of an unknown error for health reports, with the messages of its causes. */
export function errorText(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  const messages: string[] = [];
  for (let current: unknown = error; current !== undefined && messages.length < 4;) {
    messages.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return messages.join(' Caused by: ');
}
