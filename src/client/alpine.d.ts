declare module 'alpinejs' {
  const Alpine: {
    data<T extends object>(name: string, factory: () => T & ThisType<T & { $el: HTMLElement; $refs: Record<string, HTMLElement> }>): void;
    start(): void;
  };
  export default Alpine;
}
