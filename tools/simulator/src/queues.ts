/*
 * The taxi queue of one area: passengers waiting for a car and drivers
 * waiting for a passenger, both first in, first out. Whenever both are
 * there, the driver at the front takes the passenger at the front.
 */

interface Waiter<P> {
  readonly driverId: string;
  readonly take: (passenger: P | null) => void;
}

export class TaxiQueue<P> {
  private passengers: P[] = [];
  private drivers: Waiter<P>[] = [];
  private closed = false;

  /** Passengers waiting for a car. */
  get waiting(): number {
    return this.passengers.length;
  }

  /** Drivers waiting for a passenger. */
  get queued(): number {
    return this.drivers.length;
  }

  /** A passenger reaches the queue (or comes back to its front, after a driver gave up on him). */
  addPassenger(passenger: P, front = false): void {
    if (front) this.passengers.unshift(passenger);
    else this.passengers.push(passenger);
    this.match();
  }

  /** A passenger leaves the queue (cancelled, expired); false if he was not in it. */
  removePassenger(passenger: P): boolean {
    const i = this.passengers.indexOf(passenger);
    if (i < 0) return false;
    this.passengers.splice(i, 1);
    return true;
  }

  /**
   * A driver joins the queue — at its back, or at its front when he was
   * already there and his passenger went away — and waits for a passenger.
   * Null once the queue is closed.
   */
  nextPassenger(driverId: string, front = false): Promise<P | null> {
    if (this.closed) return Promise.resolve(null);
    return new Promise((take) => {
      const waiter = { driverId, take };
      if (front) this.drivers.unshift(waiter);
      else this.drivers.push(waiter);
      this.match();
    });
  }

  /** Every waiting driver gets null; no one waits any more. */
  close(): void {
    this.closed = true;
    const drivers = this.drivers;
    this.drivers = [];
    for (const d of drivers) d.take(null);
  }

  private match(): void {
    while (this.passengers.length > 0 && this.drivers.length > 0) {
      const passenger = this.passengers.shift() as P;
      const driver = this.drivers.shift() as Waiter<P>;
      driver.take(passenger);
    }
  }
}
