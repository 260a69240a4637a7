-- Change lead time per group. A pair (commit c, deployment d): d is the first
-- successful production deployment of d's service whose commits contain c
-- (ever, so history before the window counts), and d falls in [from, to).
-- Lead time = d.time - time of c's change.committed (earliest when several).
-- Abbreviated SHAs match by prefix (joined on the first 7 characters).
-- Squash and rebase merges: a deployment that carries a commit listed by a
-- change.merged also carries every other commit that change.merged lists
-- (merge, head and squash SHAs, and the PR's commits when a backfill knows
-- them), so lead time starts at the branch's commits, not at the merge.
-- Each table is read once: narrowing both sides with IN (window commits)
-- was measured slower on 18.16, which evaluates every IN subquery anew.
-- (Names never reuse a joined column's name: 18.16 resolves d.sha to an
-- alias "sha" of another column if one exists.)
-- Commits without change.committed and negative differences are left out.
-- Params: from, to, envs, and those of fragments/dims.sql.
-- Output: key, samples, median, p90 (seconds; 0 when samples = 0).
SELECT key AS key,
       length(lt) AS samples,
       {{pct "lt" 0.5}} AS median,
       {{pct "lt" 0.9}} AS p90
FROM (
    SELECT grp_key AS key, arraySort(groupArray(lead)) AS lt
    FROM (
        SELECT lead, {{template "dims" .}}
        FROM (
            SELECT svc1 AS service, '' AS repo, d_team AS team, d_product AS product, d_agroup AS agroup,
                   toInt64(toUnixTimestamp(dtime)) - toInt64(toUnixTimestamp(ctime)) AS lead
            FROM (
                SELECT svc1, csha, min(dtime0) AS dtime, argMin(team0, dtime0) AS d_team,
                       argMin(product0, dtime0) AS d_product, argMin(agroup0, dtime0) AS d_agroup, min(ctime0) AS ctime
                FROM (
                    SELECT f.svc0 AS svc1, f.dtime0 AS dtime0, f.team0 AS team0, f.product0 AS product0, f.agroup0 AS agroup0,
                           c.csha AS csha, c.ctime0 AS ctime0, f.sha AS sha
                    FROM ({{template "deployed_commits" .}}) AS f
                    ALL INNER JOIN (
                        SELECT subject AS csha, substring(csha, 1, 7) AS ck7, min(time) AS ctime0
                        FROM {{.DB}}.events FINAL
                        WHERE type = 'change.committed' AND time < {to:DateTime}
                        GROUP BY csha, ck7
                    ) AS c ON f.k7 = c.ck7
                    WHERE startsWith(c.csha, f.sha) OR startsWith(f.sha, c.csha)
                ) AS p
                GROUP BY svc1, csha
                HAVING dtime >= {from:DateTime}
            ) AS firsts
        ) AS pairs
        WHERE lead >= 0
    ) AS g
    WHERE {{template "scope" .}}
    GROUP BY key
) AS agg
ORDER BY key
