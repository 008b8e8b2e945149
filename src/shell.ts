// Quoting for the commands loopkeeper prints for a person to copy into a shell (never for running
// them: loopkeeper itself runs argv arrays only).

/** Quotes one word for a POSIX shell, only when it needs it. */
export function shellWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_\/.:=@%+,-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A command line for a person to copy: each word quoted as needed. */
export function shellLine(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}
