-- documents.c: the next annex of a license (Standard row 5), numbered under the row's lock.
UPDATE licenses SET annexes = annexes + 1, updated_at = now()
WHERE number = $1
RETURNING annexes, first_issued_on::text;
