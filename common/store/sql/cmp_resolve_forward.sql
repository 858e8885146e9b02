-- complaint.c: forwarded by the official $4.
UPDATE complaints SET state = 'forwarded', outcome = $2,
forwarded_at = $3, resolved_by = $4 WHERE complaint_id = $1;
