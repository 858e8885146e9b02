-- The back office's acts are signed by named officials (CONTRACT.md, issue #27): the official
-- who concluded a hearing or resolved a complaint is recorded with it ("role IIN full name",
-- as the transitions' cause_actor has it). NULL for the rows written before.
ALTER TABLE hearings ADD COLUMN concluded_by text;
ALTER TABLE complaints ADD COLUMN resolved_by text;
-- (lic_worker may update both tables since migrations 003 and 004.)
