/** @type {import('next').NextConfig} */
const config = {
  // Native and heavy server packages stay outside the bundles (see DESIGN.md).
  serverExternalPackages: ["better-sqlite3", "@prisma/client", "@prisma/adapter-better-sqlite3", "@prisma/adapter-pg", "pg", "@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm", "socket.io"],
  poweredByHeader: false,
  // `npm test` runs tsc over the whole project; skipping it here keeps builds fast on 2 cores.
  typescript: { ignoreBuildErrors: true },
};
export default config;
