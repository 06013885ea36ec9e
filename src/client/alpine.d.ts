declare module 'alpinejs' {
  const Alpine: {
    data<T extends object>(name: string, factory: () => T & ThisType<T & { $el: HTMLElement; $refs: Record<string, HTMLElement>; $dispatch(event: string, detail?: unknown): void }>): void;
    start(): void;
  };
  export default Alpine;
}
