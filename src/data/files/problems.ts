// Owns collecting the problems of a validation pass over the data: every bad row is reported (up to
// a limit) before loading stops, so that one run shows the user all of them.
import { dataError, type Problem } from '../../errors';

const MAX_PROBLEMS = 20;

/** Problems of one pass: `report` collects (throwing at the limit), `check` throws if any were reported. */
export class ProblemList {
  readonly list: Problem[] = [];
  report = (p: Problem): void => {
    this.list.push(p);
    if (this.list.length >= MAX_PROBLEMS) this.throw();
  };
  throw(): never {
    // At the limit the count is of the problems found so far, not of all: the error says so.
    throw dataError(this.list, { truncated: this.list.length >= MAX_PROBLEMS });
  }
  check(): void {
    if (this.list.length) this.throw();
  }
}

/** Problems while iterating an already validated source (the file changed underneath): fatal at once. */
export const fatal = (p: Problem): never => {
  throw dataError([p]);
};
