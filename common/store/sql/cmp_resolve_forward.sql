-- complaint.c
UPDATE complaints SET state = 'forwarded', outcome = $2,
forwarded_at = $3 WHERE complaint_id = $1;
