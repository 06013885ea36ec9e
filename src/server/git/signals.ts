/**
 * Tells the publication worker that the outbox has new work (a save, or a
 * save sent back in line), so it need not wait for its next idle check.
 * On its own so that the app's services can hold one without importing the
 * worker, which itself works on the app.
 */
import { WakeSignal } from '../wake.ts';

export class PublicationSignals extends WakeSignal {
  saved(): void {
    this.poke();
  }
}
