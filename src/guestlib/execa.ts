/** execa and its dependencies load on first use, so an idle agent stays small. */
let loaded: Promise<typeof import('execa')> | undefined;
export const loadExeca = (): Promise<typeof import('execa')> => (loaded ??= import('execa'));
