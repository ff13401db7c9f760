// What a demo prints once every worker serves.
export function printBanner(title: string, url: string, heapDir: string | undefined): void {
  console.log(`
${title}; metrics heap: ${heapDir ?? '(none yet)'}

Try:
  curl ${url}/
  curl ${url}/users/42
  curl ${url}/slow                 (waits 10-50 ms)
  curl -X POST -H 'content-type: application/json' -d '{"items":["tea"]}' ${url}/orders
  curl ${url}/nothing-here         (404)
  curl ${url}/metrics              (the totals of every worker, whichever answers)

Kill a worker (kill -9 <pid>): another starts, and no count goes down. Ctrl-C stops everything.
`);
}
