/**
 * Tells the publication worker that the outbox has new work (a save, or a
 * save sent back in line), so it need not wait for its next idle check.
 * On its own so that the app's services can hold one without importing the
 * worker, which itself works on the app.
 */
import { WakeSignal } from '../wake.ts';

export class PublicationSignals extends WakeSignal {
  private lookAsked = false;

  saved(): void {
    this.poke();
  }

  /** The branch changed (a push webhook, a conflict): look for changes made in Git now, not at the next poll. */
  lookInGit(): void {
    this.lookAsked = true;
    this.poke();
  }

  /** Whether a look was asked for since the last call. */
  takeLookRequest(): boolean {
    const asked = this.lookAsked;
    this.lookAsked = false;
    return asked;
  }
}
