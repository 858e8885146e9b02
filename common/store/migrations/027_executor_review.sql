-- Executor review (LIC_EXECUTOR_REVIEW=1, issue #27): the decision waits for the executor's
-- review.completed.v1 within the 1 WD of ¶13. reviewed_at: when the review came (NULL: not
-- yet); review_warned_at: when operators were warned that the day is passing.
ALTER TABLE applications ADD COLUMN reviewed_at timestamptz;
ALTER TABLE applications ADD COLUMN review_warned_at timestamptz;
