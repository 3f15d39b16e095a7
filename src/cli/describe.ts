// The CLI's commands import it from here; the words live with the plan, which lock warnings also use.
export { describeOp } from '../plan/describe-op.ts';
