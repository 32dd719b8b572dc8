/* Generated from docs/openapi.json by `npm run openapi` (openapi-typescript): do not edit. */
export interface paths {
    "/api/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness and store reachability
         * @description The process answers and its event store and database answer `SELECT 1` within DATABASE_CONNECT_TIMEOUT_MS. It does not look at the projections: use /api/health/ready to route traffic.
         */
        get: operations["Health_health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/health/live": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Liveness only
         * @description The process answers. It touches no database, so a database outage never gets a healthy process restarted.
         */
        get: operations["Health_live"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/health/ready": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Readiness, for a load balancer
         * @description Ready when the store answers within DATABASE_CONNECT_TIMEOUT_MS and every projection reaches the head of the store within 2 s: running in this process if it leads the projections (`role: leader`), or, on a follower, the checkpoints of the process that leads (`leader`), which must exist. Otherwise 503 problem+json naming the role and, for each projection, its checkpoint, lag in events and (on the leader) state.
         */
        get: operations["Health_ready"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/conventions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Conventions by commune, status, service (an annex of it, ever) and end of the current period before a date */
        get: operations["Communes_conventions"];
        put?: never;
        /** Sign a convention (R-CONV-1, R-CONV-2), with its first annexes (R-ANX-1) */
        post: operations["Conventions_sign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/conventions/{id}/annexes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Add an annex: one service, one offer, from a date (R-ANX-1, R-ANX-2, R-CAT-3) */
        post: operations["Conventions_addAnnex"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/conventions/{id}/annexes/{serviceId}/stop": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Stop one service from a date; the others continue (R-ANX-3) */
        post: operations["Conventions_stop"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/conventions/{id}/annexes/{serviceId}/offer-change": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Change an annex's offer from a date (R-ANX-4) */
        post: operations["Conventions_changeOffer"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/conventions/{id}/non-renewal": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Notify non-renewal: the convention expires at the end of the period (R-CONV-5) */
        post: operations["Conventions_nonRenewal"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/conventions/{id}/termination": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Terminate the convention and every annex from a date (R-CONV-6, R-CONV-7) */
        post: operations["Conventions_terminate"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/conventions/{id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The convention: status, periods, annexes with their offers, version (as known at knownAt) */
        get: operations["Conventions_read"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/catalogue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The catalogue: services, offers, whether open, fee schedules by billing year (R-CAT-1..5) */
        get: operations["Catalogue_catalogue"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/catalogue/services": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A service enters the catalogue by amendment, with its offers and fee schedules (R-CAT-1, R-CAT-4) */
        post: operations["Catalogue_addService"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/catalogue/services/{serviceId}/offers/{offerId}/open": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Open an offer from a date: annexes with it are accepted from then (R-CAT-3) */
        post: operations["Catalogue_openOffer"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/catalogue/services/{serviceId}/offers/{offerId}/fee-schedules": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Replace a fee schedule for billing years ≥ fromYear by a later decision (R-CAT-5) */
        post: operations["Catalogue_replaceFeeSchedule"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/reference/populations": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Population figures (R-FEE-2), by commune, with the date each came into force */
        get: operations["Communes_populations"];
        put?: never;
        /** Record a commune's legal population with the date it came into force (R-FEE-2) */
        post: operations["Reference_population"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/reference/syntec": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Syntec index values (R-FEE-3), in recording order, corrections included */
        get: operations["Communes_syntec"];
        put?: never;
        /** Record a Syntec index value with its publication date (R-FEE-3) */
        post: operations["Reference_syntec"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/legacy-conventions": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Legacy conventions (R-LEG-1) by commune and service, with the end of their access once recorded (R-LEG-3) */
        get: operations["Communes_legacyConventions"];
        put?: never;
        /** Record a legacy convention (convention de mise à disposition) and its 2025 contribution (R-LEG-1) */
        post: operations["Reference_legacyConvention"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/lifecycle/run": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Record the tacit renewals, expiries and legacy ends due up to asOf (R-CONV-4, R-CONV-5, R-LEG-3); idempotent */
        post: operations["Lifecycle_run"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/communes": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The communes the Métropole deals with: any with a convention, a legacy convention or a population */
        get: operations["Communes_communes"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/communes/{insee}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One commune: its conventions, legacy conventions, populations, entitlements in force on `on` and its total in the ledger of the year of `on`, as known at `knownAt` */
        get: operations["Communes_commune"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/catalogue/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The catalogue's decisions in recording order: services entered, offers opened, fee schedules replaced */
        get: operations["Communes_catalogueHistory"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/dev/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A development token (not in production)
         * @description Signs a 12-hour HS256 token for the role and name given. Absent when NODE_ENV=production (404) or with JWKS verification.
         */
        post: operations["DevTokens_issue"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ledgers/{year}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The fee ledger of a billing year (R-FEE-1..9) as known at knownAt (R-TIME-1), with issued amounts and differences once issued */
        get: operations["Ledgers_ledger"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/communes/{insee}/ledgers/{year}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One commune's fee ledger lines and total for a billing year, as known at knownAt */
        get: operations["Ledgers_communeLedger"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ledgers/{year}/issue": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Issue the year (titres de recettes): the first time every final line, later only regularisations (issued, current, difference, reason, causes). Pending lines are never issued. 201 when an issue is recorded, 200 when there was nothing to issue. */
        post: operations["Ledgers_issue"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/ledgers/{year}/issues": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every issue of the year as recorded: lines, regularisations with their causes, pending lines, who and when */
        get: operations["Ledgers_issues"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/communes/{insee}/entitlements": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A commune's access in force on `on` (default today, Europe/Paris), as known at `knownAt` (default now) or right after `asOfPosition` */
        get: operations["Entitlements_ofCommune"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/entitlements": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every commune's access in force on `on`, as known at `knownAt`, grouped by commune */
        get: operations["Entitlements_all"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/conventions/{id}/history": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every event of the convention in order: business date, recording instant, actor, reason, legal reference, ids (R-AUD-1) */
        get: operations["ConventionHistory_history"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/audit/events": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The global history in global order, paged (`next` → `after`), filtered by type, actor, recording instants (from/to) */
        get: operations["Audit_events"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/audit/verify": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Recomputes the integrity chain over every sealed event: {ok, checked, firstBrokenPosition?, headHash}, and on PostgreSQL/PGlite the seal head and the unsealed tail (ok is false when an acknowledged event has stayed unsealed longer than boundMs), the Merkle tree (its stored root recomputed from the events) and the latest signed head (its signature and its root) */
        get: operations["Audit_verify"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/audit/export": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The whole history for archives, as JSON Lines: one event a line with its hash and the previous hash, streamed */
        get: operations["Audit_export"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/audit/public-key": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The Ed25519 public key that signs the tree heads (no token): JSON, or the PEM itself with Accept: application/x-pem-file */
        get: operations["VerifiableLog_publicKey"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/audit/heads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The signed tree heads, newest first, paged (`next` → `before`) */
        get: operations["VerifiableLog_list"];
        put?: never;
        /** Signs a tree head now over the tree as it stands (a fresh timestamp even when it has not grown) */
        post: operations["VerifiableLog_sign"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/audit/heads/latest": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The latest signed tree head (404 before the first) */
        get: operations["VerifiableLog_latest"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/audit/events/{position}/proof": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The inclusion proof (RFC 9162 audit path) of an event in the tree of treeSize events: by default the latest signed head, or the whole tree when no head covers the event yet */
        get: operations["VerifiableLog_inclusion"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/audit/consistency": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** The consistency proof (RFC 9162) that the tree of `to` events extends the tree of `from` events */
        get: operations["VerifiableLog_consistency"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/projections": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Each live projection: state, checkpoint, failure */
        get: operations["ProjectionsAdmin_status"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/projections/rebuild": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Rebuild every projection from position 0 into fresh tables beside the live ones, then compare them (checksums) */
        post: operations["ProjectionsAdmin_start"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/projections/rebuild/{job}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** A rebuild's progress (events done, rate, remaining) and, once ready, its checks */
        get: operations["ProjectionsAdmin_progress"];
        put?: never;
        post?: never;
        /** Give a rebuild up: its tables are dropped, the live ones stay */
        delete: operations["ProjectionsAdmin_cancel"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/admin/projections/rebuild/{job}/swap": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** Swap the rebuilt tables in for the live ones, each projection in one transaction, without stopping the API */
        post: operations["ProjectionsAdmin_swap"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/feed": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Integration events after a position, in delivery order, each with its `position`; `next` is where to read on */
        get: operations["Feed_page"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/feed/stream-tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /**
         * A short-lived token that opens GET /api/feed/stream as `?access_token=`, for a browser (EventSource sends no Authorization header)
         * @description It carries the caller's sub, role and services claim, lives FEED_STREAM_TOKEN_TTL_SECONDS (60 s by default) and is accepted by GET /api/feed/stream only, and only in the query; it is refused as a bearer token. It is needed to open a stream, not to keep it: EventSource reconnects with a new URL, so ask for a new token before each connection (docs/operations.md). No body, or `{}`.
         */
        post: operations["Feed_streamToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/feed/stream": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * The same events as Server-Sent Events, then live: `id:` is the position, `data:` the event (one line of JSON); a `: heartbeat` comment when idle
         * @description Resumes after the `Last-Event-ID` header (sent by EventSource when it reconnects) or else after `after`. The server sends `retry:` first; it ends the stream when it shuts down, and the client reconnects with its last id: nothing is missed nor repeated.
         */
        get: operations["Feed_stream"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/feed/schemas": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Every published integration event schema: type, version, status (current or deprecated, with its sunset) */
        get: operations["Feed_schemas"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/api/feed/schemas/{type}/{version}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** One version of an integration event's JSON Schema (draft 2020-12): the whole envelope, `data` included */
        get: operations["Feed_schema"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        AnnexRequestDto: {
            /** @example toodego */
            serviceId: string;
            /** @example partenaire */
            offerId: string;
            /**
             * Format: date
             * @description First day in force (R-TIME-3)
             * @example 2026-01-01
             */
            effectiveFrom: string;
        };
        SignConventionRequest: {
            /** @description Why this is recorded (kept with the events) */
            reason?: string;
            /** @description The decision that grounds it, e.g. a deliberation number */
            legalReference?: string;
            /** @example 69123 */
            communeInsee: string;
            /** @example Lyon */
            communeName: string;
            /**
             * Format: date
             * @example 2025-11-15
             */
            signedOn: string;
            /**
             * Format: date
             * @description R-CONV-2: at most one year before the signature
             * @example 2026-01-01
             */
            effectiveFrom: string;
            annexes?: components["schemas"]["AnnexRequestDto"][];
        };
        AddAnnexRequest: {
            /** @description Why this is recorded (kept with the events) */
            reason?: string;
            /** @description The decision that grounds it, e.g. a deliberation number */
            legalReference?: string;
            /** @example laclasse */
            serviceId: string;
            /** @example standard */
            offerId: string;
            /**
             * Format: date
             * @example 2026-03-01
             */
            effectiveFrom: string;
        };
        StopServiceRequest: {
            /** @description Why this is recorded (kept with the events) */
            reason: string;
            /** @description The decision that grounds it */
            legalReference?: string;
            /**
             * Format: date
             * @description First day without access (R-TIME-3)
             * @example 2026-07-01
             */
            effectiveOn: string;
        };
        ChangeOfferRequest: {
            /** @description Why this is recorded (kept with the events) */
            reason?: string;
            /** @description The decision that grounds it, e.g. a deliberation number */
            legalReference?: string;
            /** @example connecte */
            offerId: string;
            /**
             * Format: date
             * @example 2026-09-01
             */
            effectiveFrom: string;
        };
        NonRenewalRequest: {
            /** @description Why this is recorded (kept with the events) */
            reason: string;
            /** @description The decision that grounds it */
            legalReference?: string;
            /**
             * Format: date
             * @example 2026-10-15
             */
            notifiedOn: string;
            /** @enum {string} */
            by: "commune" | "metropole";
        };
        TerminationRequest: {
            /** @description Why this is recorded (kept with the events) */
            reason: string;
            /** @description The decision that grounds it */
            legalReference?: string;
            /**
             * Format: date
             * @description First day without access (R-TIME-3)
             * @example 2026-07-01
             */
            effectiveOn: string;
            /** @enum {string} */
            by: "commune" | "metropole";
        };
        FeeScheduleDto: {
            /** @enum {string} */
            kind: "free" | "fixed_plus_per_inhabitant";
            /** @example 5000.00 */
            fixed?: string;
            /** @example 0.20 */
            perInhabitant?: string;
            /** @example 2025 */
            baseYear?: number;
            /** @enum {string} */
            indexation?: "syntec";
            /** @enum {string} */
            proration?: "prorata_days" | "none";
        };
        OfferDto: {
            /** @example standard */
            offerId: string;
            name: string;
            open: boolean;
            feeSchedule: components["schemas"]["FeeScheduleDto"];
        };
        AddServiceRequest: {
            /** @description Why this is recorded */
            reason?: string;
            /**
             * @description The deliberation or amendment that decides it
             * @example CP-2025-4074
             */
            legalReference: string;
            /** @example geonet */
            serviceId: string;
            name: string;
            /**
             * Format: date
             * @description Date it enters the catalogue; default: today
             * @example 2027-01-01
             */
            effectiveFrom?: string;
            offers: components["schemas"]["OfferDto"][];
        };
        OpenOfferRequest: {
            /** @description Why this is recorded */
            reason?: string;
            /**
             * @description The deliberation or amendment that decides it
             * @example CP-2025-4074
             */
            legalReference: string;
            /**
             * Format: date
             * @example 2027-01-01
             */
            openedOn: string;
        };
        ReplaceFeeScheduleRequest: {
            /** @description Why this is recorded */
            reason?: string;
            /**
             * @description The deliberation or amendment that decides it
             * @example CP-2025-4074
             */
            legalReference: string;
            /**
             * @description First billing year it applies to (R-CAT-5)
             * @example 2027
             */
            fromYear: number;
            feeSchedule: components["schemas"]["FeeScheduleDto"];
        };
        RecordPopulationRequest: {
            /** @description Why this is recorded (kept with the events) */
            reason?: string;
            /** @description The decision that grounds it, e.g. a deliberation number */
            legalReference?: string;
            /** @example 69123 */
            communeInsee: string;
            /**
             * @description Legal population (R-FEE-2)
             * @example 522250
             */
            population: number;
            /**
             * Format: date
             * @description The date the figure came into force
             * @example 2025-01-01
             */
            effectiveDate: string;
            /** @example INSEE, populations légales 2022 (population municipale) */
            source: string;
        };
        RecordSyntecRequest: {
            /** @description Why this is recorded (kept with the events) */
            reason?: string;
            /** @description The decision that grounds it, e.g. a deliberation number */
            legalReference?: string;
            /**
             * @description The month the value is for
             * @example 2025-10
             */
            period: string;
            /**
             * @description A decimal string (R-FEE-3)
             * @example 322.2
             */
            value: string;
            /**
             * Format: date
             * @example 2025-11-28
             */
            publishedOn: string;
        };
        RecordLegacyConventionRequest: {
            /** @description Why this is recorded (kept with the events) */
            reason?: string;
            /** @description The decision that grounds it, e.g. a deliberation number */
            legalReference?: string;
            /** @example 69029 */
            communeInsee: string;
            /** @example Bron */
            communeName: string;
            /** @example toodego */
            serviceId: string;
            /** @example partenaire */
            offerId: string;
            /**
             * @description Contribution paid for `year`; null when unknown (R-LEG-1)
             * @example 90000.00
             */
            annualContribution?: string | null;
            /** @example 2025 */
            year: number;
            /**
             * Format: date
             * @description Start date when known
             * @example 2019-01-01
             */
            startDate?: string | null;
        };
        RunLifecycleRequest: {
            /** @description Why this is recorded (kept with the events) */
            reason?: string;
            /** @description The decision that grounds it, e.g. a deliberation number */
            legalReference?: string;
            /**
             * Format: date
             * @description Record what is due up to this date (R-CONV-4, R-CONV-5, R-LEG-3)
             * @example 2027-01-01
             */
            asOf: string;
        };
        DevTokenRequest: {
            /**
             * @example admin
             * @enum {string}
             */
            role: "admin" | "auditor" | "commune" | "consumer";
            /**
             * @description Who the audit will record as the actor
             * @example marie.dupont
             */
            sub: string;
            /**
             * @description Required for the commune role, refused otherwise
             * @example 69123
             */
            insee?: string;
        };
        OptionalReasonRequest: {
            /** @description Why this is recorded (kept with the events) */
            reason?: string;
            /** @description The decision that grounds it, e.g. a deliberation number */
            legalReference?: string;
        };
        EntitlementSourceView: {
            /** @enum {string} */
            kind: "convention" | "legacy";
            /** @description The convention id (e.g. 69123-1), or for a legacy convention `<insee>/<serviceId>` */
            id: string;
            /**
             * Format: date
             * @description For a convention: the first day of the annex period the access comes from
             */
            annexFrom?: string;
        };
        EntitlementView: {
            /** @example toodego */
            serviceId: string;
            /** @example partenaire */
            offerId: string;
            /**
             * Format: date
             * @description null: a legacy access in force since before 2025, start unknown (R-LEG-1)
             * @example 2026-01-01
             */
            from: string | null;
            /**
             * Format: date
             * @description The last day of access; null while it runs
             */
            until: string | null;
            source: components["schemas"]["EntitlementSourceView"];
        };
        CommuneEntitlementsView: {
            /** @example 69123 */
            communeInsee: string;
            entitlements: components["schemas"]["EntitlementView"][];
        };
        FeedEnvelopeView: {
            /**
             * @example EntitlementGranted
             * @enum {string}
             */
            type: "EntitlementGranted" | "EntitlementChanged" | "EntitlementEnded" | "ConventionStatusChanged" | "FeeLedgerIssued";
            /**
             * @description The version of this type's shape; its schema: GET /api/feed/schemas/{type}/{version}
             * @example 1
             */
            version: number;
            /**
             * @description Opaque, grows in delivery order: store the last one handled, resume after it; never parse it
             * @example 42
             */
            position: string;
            /**
             * @description When the fact behind it was recorded (ISO 8601 UTC)
             * @example 2026-03-01T09:30:00.000Z
             */
            occurredAt: string;
            /** @description The type's payload, per its JSON Schema */
            data: {
                [key: string]: unknown;
            };
        };
        FeedPageView: {
            /** @description In position order; fewer than `limit` means the head was reached */
            items: components["schemas"]["FeedEnvelopeView"][];
            /**
             * @description Pass it as `after` to read on. It may lie beyond the last item (a consumer limited by its services claim skips what it may not see)
             * @example 42
             */
            next: string;
        };
        StreamTokenRequest: Record<string, never>;
        FeedSchemaSummaryView: {
            /** @enum {string} */
            type: "EntitlementGranted" | "EntitlementChanged" | "EntitlementEnded" | "ConventionStatusChanged" | "FeeLedgerIssued";
            /** @example 1 */
            version: number;
            /** @enum {string} */
            status: "current" | "deprecated";
            /**
             * @description For a deprecated version: the day after which the feed no longer carries it
             * @example 2027-12-31
             */
            sunset?: string;
            /** @example /api/feed/schemas/EntitlementGranted/1 */
            href: string;
        };
        /** @description RFC 9457 problem details (application/problem+json) */
        Problem: {
            /** @example /problems/validation */
            type: string;
            title: string;
            status: number;
            detail: string;
        } & {
            [key: string]: unknown;
        };
        /**
         * @description A 400: every invalid field, each with the rule it breaks when one does
         * @example {
         *       "type": "/problems/validation",
         *       "title": "Invalid request",
         *       "status": 400,
         *       "detail": "One or more fields are invalid",
         *       "errors": [
         *         {
         *           "field": "signedOn",
         *           "message": "signedOn must be a real calendar date YYYY-MM-DD",
         *           "constraint": "isApiDate",
         *           "rule": "R-TIME-1"
         *         }
         *       ]
         *     }
         */
        ValidationProblem: components["schemas"]["Problem"] & {
            errors: {
                /** @example annexes[0].effectiveFrom */
                field: string;
                message: string;
                /** @example isApiDate */
                constraint?: string;
                /** @example R-TIME-1 */
                rule?: string;
            }[];
        };
        /** @description A business rule refuses the command (422), or it conflicts with the current state (409): the body names the rule */
        RuleProblem: components["schemas"]["Problem"] & {
            /** @example R-CONV-1 */
            rule: string;
            /** @example convention_already_active */
            code: string;
            facts?: {
                [key: string]: unknown;
            };
        };
        /** @description A stale If-Match (`/problems/stale-version`), or a conflict with the current state naming its rule */
        ConflictProblem: components["schemas"]["Problem"] & {
            /** @example R-CONV-1 */
            rule?: string;
            /**
             * @description A stale If-Match: the version sent, in the ETag’s terms ("0": was to create it)
             * @example "5"
             */
            ifMatch?: string;
            /**
             * @description A stale If-Match: the current version, as the ETag gives it
             * @example "6"
             */
            etag?: string;
        };
        /** @description Sent once the events are stored; ETag carries the version */
        CommandAnswer: {
            /**
             * @description The stream version: send it back in If-Match
             * @example 3
             */
            version: number;
            /** @example 1897-1042 */
            position: string | null;
            events: {
                /** @example ConventionSigned */
                type: string;
                /** @example 1897-1042 */
                position: string;
                data: {
                    [key: string]: unknown;
                };
            }[];
        } & {
            [key: string]: unknown;
        };
        /**
         * @example {
         *       "conventionId": "69123-1",
         *       "version": 3,
         *       "position": "1897-3",
         *       "events": [
         *         {
         *           "type": "ConventionSigned",
         *           "position": "1897-1",
         *           "data": {}
         *         }
         *       ]
         *     }
         */
        ConventionCommandAnswer: components["schemas"]["CommandAnswer"] & {
            /** @example 69123-1 */
            conventionId: string;
        };
        ConventionView: {
            /** @example 69123-1 */
            conventionId: string;
            /** @example 69123 */
            communeInsee: string;
            /** @example Lyon */
            communeName: string;
            /** @enum {string} */
            status: "active" | "ended";
            /**
             * Format: date
             * @example 2026-01-01
             */
            signedOn: string;
            /**
             * Format: date
             * @example 2026-01-01
             */
            effectiveFrom: string;
            legalReference: string;
            periods: {
                number: number;
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                start: string;
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                end: string;
            }[];
            annexes: {
                /** @example toodego */
                serviceId: string;
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                from: string;
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                until: string | null;
                offers: {
                    /** @example toodego */
                    offerId: string;
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    from: string;
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    until: string | null;
                }[];
                stop: {
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    effectiveOn: string;
                    reason: string;
                } | null;
            }[];
            nonRenewal: {
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                notifiedOn: string;
                /** @enum {string} */
                by: "commune" | "metropole";
                reason: string;
                appliesToPeriod: {
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    start: string;
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    end: string;
                };
            } | null;
            end: {
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                lastDay: string;
                reason: string;
                termination: {
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    effectiveOn: string;
                    /** @enum {string} */
                    by: "commune" | "metropole";
                    reason: string;
                } | null;
            } | null;
            /**
             * @description The stream version: send it back in If-Match
             * @example 3
             */
            version: number;
        };
        ConventionHistory: {
            /** @example 69123-1 */
            conventionId: string;
            events: components["schemas"]["AuditEntry"][];
        };
        AuditEntry: {
            /** @example 1897-1042 */
            position: string;
            /** Format: uuid */
            eventId: string;
            /** @example convention-69123-1 */
            streamId: string;
            revision: number;
            /** @example ConventionSigned */
            type: string;
            schemaVersion: number;
            /**
             * Format: date
             * @example 2026-01-01
             */
            businessDate: string | null;
            /**
             * Format: date-time
             * @example 2026-03-01T12:00:00.000Z
             */
            recordedAt: string;
            actor: {
                id: string;
                role: string;
            } | null;
            reason: string | null;
            legalReference: string | null;
            commandId: string | null;
            correlationId: string | null;
            causationId: string | null;
            data: {
                [key: string]: unknown;
            };
            hash?: string | null;
        };
        AuditPage: {
            events: components["schemas"]["AuditEntry"][];
            /**
             * @description The `after` of the next page
             * @example 1897-1042
             */
            next: string | null;
        };
        Verification: {
            ok: boolean;
            checked: number;
            /** @example 1897-1042 */
            firstBrokenPosition?: string;
            headHash: string | null;
            sealedHead?: {
                /** @example 1897-1042 */
                position: string | null;
                size: number;
                hash: string | null;
                /**
                 * Format: date-time
                 * @example 2026-03-01T12:00:00.000Z
                 */
                sealedAt: string | null;
            } & {
                [key: string]: unknown;
            };
            unsealedTail?: {
                count: number;
                /**
                 * Format: date-time
                 * @example 2026-03-01T12:00:00.000Z
                 */
                oldestRecordedAt: string | null;
                oldestAgeMs: number | null;
                boundMs: number;
                overdue: boolean;
            } & {
                [key: string]: unknown;
            };
            /** @description The Merkle tree the sealer stored (PostgreSQL, PGlite) */
            tree?: {
                size: number;
                /** @example e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 */
                root: string;
                /** @description The stored root is the one the sealed events give */
                ok: boolean;
            };
            /** @description The latest signed head, checked (absent before the first) */
            signedHead?: components["schemas"]["SignedTreeHead"] & {
                signatureValid: boolean;
                /** @description Its root is the one the sealed events give at its size */
                rootMatches: boolean;
                ok: boolean;
            };
        };
        /** @description The log of treeSize events had this Merkle root (RFC 9162), signed by the key keyId (docs/audit.md) */
        SignedTreeHead: {
            /** @example 1042 */
            treeSize: number;
            /** @example e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 */
            rootHash: string;
            /**
             * Format: date-time
             * @description When it was signed
             * @example 2026-03-01T12:00:00.000Z
             */
            timestamp: string;
            /**
             * @description SHA-256 of the public key (SubjectPublicKeyInfo DER)
             * @example e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
             */
            keyId: string;
            /**
             * Format: byte
             * @description Ed25519 over the bytes of docs/audit.md, base64
             * @example c2lnbmF0dXJl
             */
            signature: string;
        };
        CommunePage: {
            items: components["schemas"]["CommuneSummary"][];
            /** @description The `offset` of the next page; null on the last */
            next: number | null;
            /** @description Items in the whole list, all pages */
            total: number;
        };
        CommuneSummary: {
            /** @example 69123 */
            communeInsee: string;
            /**
             * @description The official name (R-COM-2)
             * @example Lyon
             */
            communeName: string;
            conventions: {
                /** @example 69123-1 */
                conventionId: string;
                /** @enum {string} */
                status: "active" | "ended";
            }[];
            /** @description How many legacy conventions are recorded */
            legacyConventions: number;
            /** @description How many population figures are recorded */
            populations: number;
        };
        ConventionPage: {
            items: components["schemas"]["ConventionItem"][];
            /** @description The `offset` of the next page; null on the last */
            next: number | null;
            /** @description Items in the whole list, all pages */
            total: number;
        };
        ConventionItem: {
            /** @example 69123-1 */
            conventionId: string;
            /** @example 69123 */
            communeInsee: string;
            /** @example Lyon */
            communeName: string;
            /** @enum {string} */
            status: "active" | "ended";
            /**
             * Format: date
             * @example 2026-01-01
             */
            signedOn: string;
            /**
             * Format: date
             * @example 2026-01-01
             */
            effectiveFrom: string;
            legalReference: string;
            periods: {
                number: number;
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                start: string;
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                end: string;
            }[];
            annexes: {
                /** @example toodego */
                serviceId: string;
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                from: string;
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                until: string | null;
                offers: {
                    /** @example toodego */
                    offerId: string;
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    from: string;
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    until: string | null;
                }[];
                stop: {
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    effectiveOn: string;
                    reason: string;
                } | null;
            }[];
            nonRenewal: {
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                notifiedOn: string;
                /** @enum {string} */
                by: "commune" | "metropole";
                reason: string;
                appliesToPeriod: {
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    start: string;
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    end: string;
                };
            } | null;
            end: {
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                lastDay: string;
                reason: string;
                termination: {
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    effectiveOn: string;
                    /** @enum {string} */
                    by: "commune" | "metropole";
                    reason: string;
                } | null;
            } | null;
            /**
             * Format: date
             * @example 2026-01-01
             */
            currentPeriodEnd: string;
        };
        PopulationPage: {
            items: components["schemas"]["PopulationItem"][];
            /** @description The `offset` of the next page; null on the last */
            next: number | null;
            /** @description Items in the whole list, all pages */
            total: number;
        };
        PopulationItem: {
            /** @example 69123 */
            communeInsee: string;
            /** @example 522250 */
            population: number;
            /**
             * Format: date
             * @example 2026-01-01
             */
            effectiveDate: string;
            /** @example INSEE, populations légales 2023 */
            source: string;
        };
        SyntecPage: {
            items: components["schemas"]["SyntecItem"][];
            /** @description The `offset` of the next page; null on the last */
            next: number | null;
            /** @description Items in the whole list, all pages */
            total: number;
        };
        SyntecItem: {
            /** @example 2025-10 */
            period: string;
            /** @example 322.2 */
            value: string;
            /**
             * Format: date
             * @example 2026-01-01
             */
            publishedOn: string;
            /** @description Present on a correction: the value it replaces */
            corrects?: {
                /** @example 322.2 */
                value: string;
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                publishedOn: string;
                reason: string;
            };
            /**
             * Format: date-time
             * @example 2026-03-01T12:00:00.000Z
             */
            recordedAt: string;
        };
        LegacyConventionPage: {
            items: components["schemas"]["LegacyConventionItem"][];
            /** @description The `offset` of the next page; null on the last */
            next: number | null;
            /** @description Items in the whole list, all pages */
            total: number;
        };
        LegacyConventionItem: {
            /** @example 69123 */
            communeInsee: string;
            /** @example Bron */
            communeName: string;
            /** @example toodego */
            serviceId: string;
            /** @example partenaire */
            offerId: string;
            /** @example 111649.77 */
            annualContribution: string | null;
            /** @example 2026 */
            year: number;
            /**
             * Format: date
             * @description null: in force since before 2025
             * @example 2026-01-01
             */
            startDate: string | null;
            /**
             * Format: date
             * @description The last day of legacy access once recorded (R-LEG-2, R-LEG-3); null while it runs
             * @example 2026-01-01
             */
            accessUntil: string | null;
        };
        CatalogueHistoryPage: {
            items: components["schemas"]["CatalogueFact"][];
            /** @description The `offset` of the next page; null on the last */
            next: number | null;
            /** @description Items in the whole list, all pages */
            total: number;
        };
        CatalogueFact: {
            /**
             * @example OfferOpened
             * @enum {string}
             */
            type: "ServiceEnteredCatalogue" | "OfferOpened" | "FeeScheduleReplaced";
            /** @description The event's data (docs/events.md) */
            data: {
                [key: string]: unknown;
            };
            /**
             * Format: date-time
             * @example 2026-03-01T12:00:00.000Z
             */
            recordedAt: string;
            /** @example 1897-1042 */
            position: string;
        };
        /** @description A commune: its conventions, legacy conventions, populations, entitlements, its ledger total (docs/communes.md) */
        CommuneDetail: {
            /** @example 69123 */
            communeInsee: string;
            /**
             * @description The official name (R-COM-2)
             * @example Lyon
             */
            communeName: string;
            /**
             * Format: date
             * @example 2026-01-01
             */
            on: string;
            conventions: components["schemas"]["ConventionItem"][];
            legacyConventions: {
                /** @example 69123 */
                communeInsee: string;
                /** @example Bron */
                communeName: string;
                /** @example toodego */
                serviceId: string;
                /** @example partenaire */
                offerId: string;
                /** @example 111649.77 */
                annualContribution: string | null;
                /** @example 2026 */
                year: number;
                /**
                 * Format: date
                 * @description null: in force since before 2025
                 * @example 2026-01-01
                 */
                startDate: string | null;
                accessEnded: {
                    /**
                     * Format: date
                     * @example 2026-01-01
                     */
                    lastDay: string;
                    /** @enum {string} */
                    reason: "continued_by_convention" | "no_continuity";
                    /** @example 69123-1 */
                    conventionId: string | null;
                } | null;
            }[];
            populations: {
                /** @example 522250 */
                population: number;
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                effectiveDate: string;
                /** @example INSEE, populations légales 2023 */
                source: string;
            }[];
            entitlements: components["schemas"]["EntitlementView"][];
            ledger: {
                /** @example 2026 */
                year: number;
                /** @example 111649.77 */
                total: string;
                pendingLines: number;
                lines: number;
            };
        };
        TreeHeadPage: {
            heads: components["schemas"]["SignedTreeHead"][];
            /** @description The `before` of the next page (older heads) */
            next: string | null;
        };
        PublicKey: {
            /** @enum {string} */
            algorithm: "Ed25519";
            /** @example e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 */
            keyId: string;
            /**
             * @description SubjectPublicKeyInfo, PEM
             * @example -----BEGIN PUBLIC KEY-----
             *     …
             *     -----END PUBLIC KEY-----
             */
            publicKeyPem: string;
        };
        InclusionProof: {
            leafIndex: number;
            treeSize: number;
            /**
             * @description SHA-256(0x00 ‖ the event’s canonical JSON)
             * @example e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
             */
            leafHash: string;
            auditPath: string[];
            /** @example e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 */
            rootHash: string;
            /** @description The signed head of that size, if one was signed (else null) */
            signedHead: components["schemas"]["SignedTreeHead"] | null;
            /** @description The event as the export writes it: every field its leaf covers */
            event: {
                /** @example 1897-1042 */
                position: string;
                /** Format: uuid */
                id: string;
                streamId: string;
                revision: number;
                type: string;
                schemaVersion: number;
                data: {
                    [key: string]: unknown;
                };
                metadata: {
                    [key: string]: unknown;
                };
                /**
                 * Format: date-time
                 * @example 2026-03-01T12:00:00.000Z
                 */
                recordedAt: string;
            };
        };
        ConsistencyProof: {
            from: number;
            to: number;
            /** @example e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 */
            fromRoot: string;
            /** @example e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 */
            toRoot: string;
            proof: string[];
        };
        LedgerLine: {
            /** @example 69123-1/toodego/partenaire/2026-01-01 */
            lineId: string;
            /** @example 69123-1 */
            conventionId: string;
            /** @example 2026 */
            year: number;
            /** @example 69123 */
            communeInsee: string;
            /** @example Lyon */
            communeName: string;
            /** @example toodego */
            serviceId: string;
            /** @example partenaire */
            offerId: string;
            /** @enum {string} */
            feeScheduleKind: "free" | "fixed_plus_per_inhabitant";
            /**
             * Format: date
             * @example 2026-01-01
             */
            inForceFrom: string;
            /**
             * Format: date
             * @example 2026-01-01
             */
            inForceUntil: string;
            /** @example 520774 */
            population: number | null;
            /**
             * Format: date
             * @example 2026-01-01
             */
            populationEffectiveDate: string | null;
            populationSource: string | null;
            /** Format: uuid */
            populationEventId: string | null;
            /** @example 111649.77 */
            fixed: string | null;
            /** @example 322.2 */
            perInhabitant: string | null;
            /** @example 322.2 */
            baseAmount: string | null;
            /** @example 322.2 */
            indexValue: string | null;
            /** @example 2025-10 */
            indexPeriod: string | null;
            /** @example 322.2 */
            baseIndexValue: string | null;
            /** @example 2024-10 */
            baseIndexPeriod: string | null;
            /** @example 322.2 */
            coefficient: string | null;
            /** @example 111649.77 */
            targetAmount: string | null;
            /** @example 111649.77 */
            legacyAmount: string | null;
            /** @example 111649.77 */
            capAmount: string | null;
            /** @example 111649.77 */
            annualAmount: string | null;
            /** @enum {string|null} */
            annualAmountBasis: "legacy" | "cap" | "target" | null;
            daysInForce: number;
            /** @enum {integer} */
            daysInYear: 365 | 366;
            /** @example 111649.77 */
            amountDue: string | null;
            /** @enum {string} */
            status: "final" | "pending";
            /** @example legacy_amount_missing */
            pendingReason: string | null;
            pendingYear: number | null;
            /**
             * @description The sum issued for the line (0.00 if never issued); null while the year has no issue
             * @example 111649.77
             */
            issuedAmount: string | null;
            /**
             * @description amountDue − issuedAmount: what the next issue regularises
             * @example 111649.77
             */
            difference: string | null;
        } & {
            [key: string]: unknown;
        };
        /** @description An issued line no longer in the ledger: the next issue credits it */
        RemovedLedgerLine: {
            /** @example 69123-1/toodego/partenaire/2026-01-01 */
            lineId: string;
            /** @example 69123-1 */
            conventionId?: string;
            /** @example 2026 */
            year?: number;
            /** @example 69123 */
            communeInsee: string;
            /** @example Lyon */
            communeName?: string;
            /** @example toodego */
            serviceId: string;
            /** @example partenaire */
            offerId: string;
            /** @example 111649.77 */
            issuedAmount: string;
            /** @example 111649.77 */
            amountDue: string;
            /** @example 111649.77 */
            difference: string;
        } & {
            [key: string]: unknown;
        };
        IssueSummary: {
            issueNumber: number;
            basedOn: {
                /** @example 1897-1042 */
                position: string;
                /**
                 * Format: date-time
                 * @example 2026-03-01T12:00:00.000Z
                 */
                at: string;
            };
            lineCount: number;
            regularisationCount: number;
            pendingLineCount: number;
            /** @example 111649.77 */
            grandTotal: string;
        };
        CommuneTotal: {
            /** @example 69123 */
            communeInsee: string;
            communeName: string;
            /** @example 111649.77 */
            total: string;
            pendingLines: number;
            /** @example 111649.77 */
            issued: string | null;
            /** @example 111649.77 */
            difference: string | null;
        };
        Ledger: {
            /** @example 2026 */
            year: number;
            /**
             * Format: date-time
             * @example 2026-03-01T12:00:00.000Z
             */
            knownAt: string;
            lines: components["schemas"]["LedgerLine"][];
            removedLines: components["schemas"]["RemovedLedgerLine"][];
            totals: {
                byCommune: components["schemas"]["CommuneTotal"][];
                /** @example 111649.77 */
                grandTotal: string;
                pendingLines: number;
                /** @example 111649.77 */
                issued: string | null;
                /** @example 111649.77 */
                difference: string | null;
            };
            issues: components["schemas"]["IssueSummary"][];
            /**
             * @description The number of issues: send it back in If-Match to issue
             * @example 3
             */
            version: number;
        };
        CommuneLedger: {
            /** @example 2026 */
            year: number;
            /**
             * Format: date-time
             * @example 2026-03-01T12:00:00.000Z
             */
            knownAt: string;
            /** @example 69123 */
            communeInsee: string;
            communeName: string | null;
            lines: components["schemas"]["LedgerLine"][];
            removedLines: components["schemas"]["RemovedLedgerLine"][];
            /** @example 111649.77 */
            total: string;
            pendingLines: number;
            /** @example 111649.77 */
            issued: string | null;
            /** @example 111649.77 */
            difference: string | null;
            issues: components["schemas"]["IssueSummary"][];
            /**
             * @description The stream version: send it back in If-Match
             * @example 3
             */
            version: number;
        };
        LedgerIssueAnswer: {
            /** @example 2026 */
            year: number;
            /** @description false (and 200) when there was nothing to issue */
            recorded: boolean;
            issueNumber: number | null;
            /**
             * @description The stream version: send it back in If-Match
             * @example 3
             */
            version: number;
            /** @example 1897-1042 */
            position: string | null;
            basedOn: {
                /** @example 1897-1042 */
                position: string;
                /**
                 * Format: date-time
                 * @example 2026-03-01T12:00:00.000Z
                 */
                at: string;
            };
            lines: {
                [key: string]: unknown;
            }[];
            regularisations: {
                [key: string]: unknown;
            }[];
            pendingLines: {
                [key: string]: unknown;
            }[];
            totals: {
                byCommune: {
                    [key: string]: unknown;
                }[];
                /** @example 111649.77 */
                grandTotal: string;
            } & {
                [key: string]: unknown;
            };
        };
        LedgerIssues: {
            /** @example 2026 */
            year: number;
            issues: ({
                /** Format: uuid */
                eventId: string;
                /** @example 1897-1042 */
                position: string;
                /**
                 * Format: date-time
                 * @example 2026-03-01T12:00:00.000Z
                 */
                recordedAt: string;
                actor: {
                    id: string;
                    role: string;
                } | null;
                reason: string | null;
            } & {
                [key: string]: unknown;
            })[];
            /**
             * @description The stream version: send it back in If-Match
             * @example 3
             */
            version: number;
        };
        LifecycleRunAnswer: {
            /**
             * Format: date
             * @example 2026-01-01
             */
            asOf: string;
            recorded: ({
                /** @example ConventionSigned */
                type: string;
                /** @example 1897-1042 */
                position: string;
                data: {
                    [key: string]: unknown;
                };
            } & {
                streamId: string;
            })[];
            /** @example 1897-1042 */
            position: string | null;
        };
        Catalogue: {
            services: {
                /** @example toodego */
                serviceId: string;
                name: string;
                legalReference: string;
                /**
                 * Format: date
                 * @example 2026-01-01
                 */
                effectiveFrom: string;
                offers: {
                    /** @example partenaire */
                    offerId: string;
                    name: string;
                    /**
                     * Format: date
                     * @description R-CAT-3: annexes with this offer are accepted from this date
                     * @example 2026-01-01
                     */
                    openedOn: string | null;
                    schedules: {
                        fromYear: number;
                        feeSchedule: components["schemas"]["FeeSchedule"];
                        legalReference: string;
                    }[];
                }[];
            }[];
        };
        FeeSchedule: {
            /** @enum {string} */
            kind: "free" | "fixed_plus_per_inhabitant";
            /** @example 111649.77 */
            fixed?: string;
            /** @example 322.2 */
            perInhabitant?: string;
            baseYear?: number;
            /** @enum {string} */
            indexation?: "syntec";
            /** @enum {string} */
            proration?: "prorata_days" | "none";
        } & {
            [key: string]: unknown;
        };
        ProjectionStatus: {
            /** @example entitlements */
            name: string;
            /** @example running */
            state: string;
            /** @example 1897-1042 */
            position: string;
            failure?: {
                /** @example 1897-1042 */
                position: string;
                message: string;
            } & {
                [key: string]: unknown;
            };
        } & {
            [key: string]: unknown;
        };
        Rebuild: {
            jobId: string;
            /** @enum {string} */
            state: "rebuilding" | "checking" | "ready" | "swapping" | "swapped" | "cancelled" | "failed";
            /**
             * Format: date-time
             * @example 2026-03-01T12:00:00.000Z
             */
            startedAt: string;
            totalEvents: number;
            eventsDone: number;
            eventsPerSecond: number;
            remainingSeconds: number | null;
            projections: {
                name: string;
                eventsDone: number;
                /** @example 1897-1042 */
                position: string;
                state: string;
                check?: {
                    [key: string]: unknown;
                };
            }[];
            error?: string;
        };
        Health: {
            /** @enum {string} */
            status: "ok";
            /** @enum {string} */
            eventStore: "pglite" | "postgres" | "eventstoredb";
        };
        DevToken: {
            /** @description HS256 bearer token, 12 hours */
            token: string;
            /** @enum {string} */
            role: "admin" | "auditor" | "commune" | "consumer";
            sub: string;
            /** @example 69123 */
            insee: string | null;
        };
        Liveness: {
            /** @enum {string} */
            status: "live";
        };
        StreamToken: {
            /**
             * @description Send as `?access_token=` to GET /api/feed/stream only; refused as a bearer token
             * @example eyJhbGciOiJIUzI1NiIsInR5cCI6ImZlZWQtc3RyZWFtK2p3dCJ9.eyJyb2xlIjoiY29uc3VtZXIifQ.c2lnbmF0dXJl
             */
            token: string;
            /**
             * Format: date-time
             * @example 2026-03-01T12:00:00.000Z
             */
            expiresAt: string;
        };
        Readiness: {
            /** @enum {string} */
            status: "ready";
            /** @enum {string} */
            role: "leader" | "follower";
            leader?: string;
            /** @example 1897-1042 */
            head?: string;
            projections: ({
                /** @example entitlements */
                name: string;
                /** @example running */
                state: string;
                /** @example 1897-1042 */
                position: string;
                failure?: {
                    /** @example 1897-1042 */
                    position: string;
                    message: string;
                } & {
                    [key: string]: unknown;
                };
            } & {
                [key: string]: unknown;
            })[];
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    Health_health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Up, and the store answers */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Health_live: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The process is up */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Liveness"];
                };
            };
        };
    };
    Health_ready: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Ready: commands are stored and reads without minPosition are current */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    /**
                     * @example {
                     *       "status": "ready",
                     *       "role": "leader",
                     *       "leader": "conventions-cadre api-1:4121",
                     *       "head": "812-40",
                     *       "projections": [
                     *         {
                     *           "name": "entitlements",
                     *           "state": "running",
                     *           "position": "812-40"
                     *         }
                     *       ]
                     *     }
                     */
                    "application/json": components["schemas"]["Readiness"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Communes_conventions: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                /** @description What was in force that day (Europe/Paris); default today (R-TIME-1) */
                on?: string;
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
                /** @description Active conventions whose current period ends before this date */
                expiringBefore?: string;
                serviceId?: string;
                status?: "active" | "ended";
                communeInsee?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConventionPage"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Conventions_sign: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["SignConventionRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            201: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    /** @description The created resource */
                    Location?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConventionCommandAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Conventions_addAnnex: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
                /** @description The version read (ETag); a stale one gets 409 and nothing is recorded */
                "If-Match"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AddAnnexRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            201: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConventionCommandAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Conventions_stop: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
                /** @description The version read (ETag); a stale one gets 409 and nothing is recorded */
                "If-Match"?: string;
            };
            path: {
                id: string;
                serviceId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StopServiceRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            200: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConventionCommandAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Conventions_changeOffer: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
                /** @description The version read (ETag); a stale one gets 409 and nothing is recorded */
                "If-Match"?: string;
            };
            path: {
                id: string;
                serviceId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ChangeOfferRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            200: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConventionCommandAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Conventions_nonRenewal: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
                /** @description The version read (ETag); a stale one gets 409 and nothing is recorded */
                "If-Match"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["NonRenewalRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            200: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConventionCommandAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Conventions_terminate: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
                /** @description The version read (ETag); a stale one gets 409 and nothing is recorded */
                "If-Match"?: string;
            };
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["TerminationRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            200: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConventionCommandAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Conventions_read: {
        parameters: {
            query?: {
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConventionView"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Catalogue_catalogue: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Catalogue"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Catalogue_addService: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["AddServiceRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            201: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommandAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Catalogue_openOffer: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
            };
            path: {
                serviceId: string;
                offerId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OpenOfferRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            200: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommandAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Catalogue_replaceFeeSchedule: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
            };
            path: {
                serviceId: string;
                offerId: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["ReplaceFeeScheduleRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            201: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommandAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Communes_populations: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
                communeInsee?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PopulationPage"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Reference_population: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RecordPopulationRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            201: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommandAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Communes_syntec: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SyntecPage"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Reference_syntec: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RecordSyntecRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            201: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommandAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Communes_legacyConventions: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
                serviceId?: string;
                communeInsee?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LegacyConventionPage"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Reference_legacyConvention: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RecordLegacyConventionRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            201: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommandAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Lifecycle_run: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["RunLifecycleRequest"];
            };
        };
        responses: {
            /** @description Recorded: sent once the events are stored */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LifecycleRunAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Communes_communes: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommunePage"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Communes_commune: {
        parameters: {
            query?: {
                /** @description What was in force that day (Europe/Paris); default today (R-TIME-1) */
                on?: string;
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
            };
            header?: never;
            path: {
                insee: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommuneDetail"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Communes_catalogueHistory: {
        parameters: {
            query?: {
                limit?: number;
                offset?: number;
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
                serviceId?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CatalogueHistoryPage"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    DevTokens_issue: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["DevTokenRequest"];
            };
        };
        responses: {
            /** @description The token */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["DevToken"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Ledgers_ledger: {
        parameters: {
            query?: {
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
            };
            header?: never;
            path: {
                year: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Ledger"];
                    "text/csv": string;
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The Accept header asks for a type this resource is not available as */
            406: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Ledgers_communeLedger: {
        parameters: {
            query?: {
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
            };
            header?: never;
            path: {
                insee: string;
                year: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommuneLedger"];
                    "text/csv": string;
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The Accept header asks for a type this resource is not available as */
            406: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Ledgers_issue: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
                /** @description Recorded on every event the command causes (R-AUD-1); default: the command’s own id */
                "X-Correlation-Id"?: string;
                /** @description The ledger version (ETag of GET /api/ledgers/{year}); a stale one gets 409 and nothing is recorded */
                "If-Match"?: string;
            };
            path: {
                year: string;
            };
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["OptionalReasonRequest"];
            };
        };
        responses: {
            /** @description Nothing to issue: nothing recorded, what is pending */
            200: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LedgerIssueAnswer"];
                };
            };
            /** @description Recorded: sent once the events are stored */
            201: {
                headers: {
                    /** @description The version, quoted: send it back in If-Match */
                    ETag?: string;
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LedgerIssueAnswer"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The body is too large */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Ledgers_issues: {
        parameters: {
            query?: {
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
            };
            header?: never;
            path: {
                year: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LedgerIssues"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Entitlements_ofCommune: {
        parameters: {
            query?: {
                /** @description What was in force that day (Europe/Paris); default today (R-TIME-1) */
                on?: string;
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
                /** @description The state as known right after this position of the global order (as a command returned it); not with knownAt */
                asOfPosition?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
            };
            header?: never;
            path: {
                insee: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["EntitlementView"][];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Entitlements_all: {
        parameters: {
            query?: {
                /** @description What was in force that day (Europe/Paris); default today (R-TIME-1) */
                on?: string;
                /** @description Only the facts recorded up to this instant (R-TIME-1), with its offset; default now */
                knownAt?: string;
                /** @description The state as known right after this position of the global order (as a command returned it); not with knownAt */
                asOfPosition?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["CommuneEntitlementsView"][];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    ConventionHistory_history: {
        parameters: {
            query?: {
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
            };
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConventionHistory"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Audit_events: {
        parameters: {
            query?: {
                /** @description Recorded at or before: an instant, or a date (the whole day in Europe/Paris) */
                to?: string;
                /** @description Recorded at or after: an instant, or a date (the whole day in Europe/Paris) */
                from?: string;
                /** @description An actor id (the `sub` of the token that caused it) */
                actor?: string;
                /** @description An event type, or several separated by commas */
                type?: string;
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
                /** @description A position (exclusive): `next` of the previous page */
                after?: string;
                /** @description At most this many items (1..1000, default 100) */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["AuditPage"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Audit_verify: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Verification"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Audit_export: {
        parameters: {
            query?: {
                /** @description Only the events after this position (an incremental export) */
                after?: string;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description JSON Lines, one event a line: position, id, streamId, revision, type, schemaVersion, data, metadata, recordedAt, previousHash, hash */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/x-ndjson": string;
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    VerifiableLog_publicKey: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The key (JSON), or its PEM with Accept: application/x-pem-file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PublicKey"];
                    "application/x-pem-file": string;
                };
            };
            /** @description This event store keeps no Merkle tree (EventStoreDB): no signed heads nor proofs */
            501: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    VerifiableLog_list: {
        parameters: {
            query?: {
                /** @description `next` of the previous page */
                before?: string;
                /** @description 1..1000, default 20 */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TreeHeadPage"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This event store keeps no Merkle tree (EventStoreDB): no signed heads nor proofs */
            501: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    VerifiableLog_sign: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Signed and recorded */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SignedTreeHead"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description This event store keeps no Merkle tree (EventStoreDB): no signed heads nor proofs */
            501: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    VerifiableLog_latest: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["SignedTreeHead"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This event store keeps no Merkle tree (EventStoreDB): no signed heads nor proofs */
            501: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    VerifiableLog_inclusion: {
        parameters: {
            query?: {
                /** @description The tree to prove it in: a signed head’s treeSize */
                treeSize?: number;
            };
            header?: never;
            path: {
                /** @description The event’s position, as the history and the export give it */
                position: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["InclusionProof"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description This event store keeps no Merkle tree (EventStoreDB): no signed heads nor proofs */
            501: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    VerifiableLog_consistency: {
        parameters: {
            query: {
                /** @description The newer tree size; default: the latest signed head’s */
                to?: number;
                /** @description The older tree size (a signed head’s treeSize) */
                from: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ConsistencyProof"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description This event store keeps no Merkle tree (EventStoreDB): no signed heads nor proofs */
            501: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    ProjectionsAdmin_status: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ProjectionStatus"][];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    ProjectionsAdmin_start: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Started: follow it with GET …/rebuild/{job} */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Rebuild"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    ProjectionsAdmin_progress: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Rebuild"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    ProjectionsAdmin_cancel: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                job: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Rebuild"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    ProjectionsAdmin_swap: {
        parameters: {
            query?: never;
            header?: {
                /** @description Retry safely: the same key with the same body returns the first answer and records nothing new; another body, 422 */
                "Idempotency-Key"?: string;
            };
            path: {
                job: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description OK */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Rebuild"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description A stale If-Match, or a conflict with the current state (naming its rule) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ConflictProblem"];
                };
            };
            /** @description A business rule refuses it (the body names the rule), or an Idempotency-Key reused with another body */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["RuleProblem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Feed_page: {
        parameters: {
            query?: {
                /** @description A command’s position: answer once the read model has caught up with it (or 503 with Retry-After after a bounded wait) */
                minPosition?: string;
                /** @description Exclusive: a `position` or `next` the feed gave; 0 or none for the beginning */
                after?: string;
                /** @description At most this many items (1..1000, default 100) */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FeedPageView"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The store or a read model cannot answer in time: retry after Retry-After */
            503: {
                headers: {
                    /** @description Seconds to wait before retrying */
                    "Retry-After"?: number;
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Feed_streamToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/json": components["schemas"]["StreamTokenRequest"];
            };
        };
        responses: {
            /** @description A stream token */
            201: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["StreamToken"];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The body is not application/json */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Feed_stream: {
        parameters: {
            query?: {
                /** @description A stream token from POST /api/feed/stream-tokens, instead of the Authorization header (a browser); never a bearer token */
                access_token?: string;
                /** @description Exclusive start when there is no Last-Event-ID; 0 or none for the beginning */
                after?: string;
            };
            header?: {
                /** @description The last id the client handled */
                "Last-Event-ID"?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description An endless text/event-stream */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "text/event-stream": string;
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description No token, or a token that is malformed, expired or not ours */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The token’s role (or commune) may not do this */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
    Feed_schemas: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FeedSchemaSummaryView"][];
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
        };
    };
    Feed_schema: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                type: string;
                version: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description The JSON Schema */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/schema+json": Record<string, never>;
                };
            };
            /** @description Malformed or invalid input: every invalid field, naming its rule where one applies */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["ValidationProblem"];
                };
            };
            /** @description Unknown id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
