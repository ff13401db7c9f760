export function declareEveryType(): void;
export function announce(port: number): void;
