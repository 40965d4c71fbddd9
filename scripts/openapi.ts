// `npm run openapi`: writes openapi/openapi.json from the zod route schemas (test/http/openapi.test.ts
// fails when the committed file differs from what the code generates).
import { writeFile } from 'node:fs/promises'
import { generateOpenApi, OPENAPI_FILE } from '../src/openapi.ts'

await writeFile(OPENAPI_FILE, await generateOpenApi())
process.stdout.write(`wrote ${OPENAPI_FILE}\n`)
