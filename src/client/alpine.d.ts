declare module 'alpinejs' {
  const Alpine: {
    data<T extends object>(name: string, factory: () => T & ThisType<T & { $el: HTMLElement }>): void;
    start(): void;
  };
  export default Alpine;
}
