-- tests/lib/wrk_status.lua - a wrk script (wrk -s) that counts the answers
-- of every HTTP status and, after wrk's own report, prints one line
-- "Status NNN: COUNT" per status seen. wrk itself only counts statuses of
-- 400 and above ("Non-2xx or 3xx responses"); with these lines
-- tests/lib/wrk.sh also sees 1xx and 3xx answers. Changes no request.

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	statuses = {}
end

function response(status, headers, body)
	statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
	local total = {}
	for _, t in ipairs(threads) do
		for status, n in pairs(t:get("statuses")) do
			total[status] = (total[status] or 0) + n
		end
	end
	local codes = {}
	for status in pairs(total) do
		table.insert(codes, status)
	end
	table.sort(codes)
	for _, status in ipairs(codes) do
		io.write(string.format("Status %d: %d\n", status, total[status]))
	end
end
