-- Standard rows 6 and 9 (issue #27): a fee not paid or underpaid is refusal ground 2 with its
-- hearing, not a ¶9 incompleteness, and the MCI is the one in force on the payment's date.
ALTER TABLE fees ADD COLUMN paid_at timestamptz;   -- fee.paid_at; NULL: not given
ALTER TABLE fees ADD COLUMN mci_year integer;      -- the year whose MCI the fee was measured by
ALTER TABLE fees ADD COLUMN mci_kzt bigint;

-- The ground found by intake's own check at registration.
ALTER TABLE grounds DROP CONSTRAINT grounds_source_check;
ALTER TABLE grounds ADD CONSTRAINT grounds_source_check
    CHECK (source IN ('registry', 'executor', 'intake'));

-- A ground found while the application is in the registries' step (intake's fee ground, a
-- registry's), or before its approval requests are made, is acted on when the step passes it
-- on and the requests are made: the decider is woken then too.
DROP TRIGGER applications_ground_pending ON applications;
CREATE TRIGGER applications_ground_pending
    AFTER UPDATE OF ground_pending, stage, approvals_requested_at ON applications
    FOR EACH ROW WHEN (NEW.ground_pending
                       AND (NOT OLD.ground_pending OR NEW.stage IS DISTINCT FROM OLD.stage
                            OR NEW.approvals_requested_at IS DISTINCT FROM OLD.approvals_requested_at))
    EXECUTE FUNCTION applications_ground_notify();
