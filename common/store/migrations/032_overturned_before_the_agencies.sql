-- ¶15 with ¶12 (issue #27 review): a refusal may now be confirmed while an agency is still
-- within its 10 WD. A complaint that overturns it reopens the application to wait for that
-- answer (or its deemed approval), not to a license granted without it.
INSERT INTO stage_transitions (from_stage, to_stage) VALUES
    ('refused', 'awaiting_approvals'),
    ('refused', 'awaiting_replies');
SELECT lic_stage_checks();

-- The grounds of a refusal a complaint overturned are not raised again: the complaint that
-- overturned it.
ALTER TABLE hearings ADD COLUMN overturned_by text;
