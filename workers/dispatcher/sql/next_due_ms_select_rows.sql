-- dispatcher.c
SELECT GREATEST(0, extract(epoch FROM min(n.at) - now()) * 1000)::bigint
FROM unnest(string_to_array($1, ',')) AS g(agency),
LATERAL (SELECT next_attempt_at AS at FROM agency_requests q
WHERE q.state = 'pending' AND q.agency = g.agency
ORDER BY q.next_attempt_at LIMIT 1) n;
