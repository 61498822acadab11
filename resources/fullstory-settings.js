// The one table of the nodes' settings that the editor and the runtime both read: each number
// setting's range and default, and which fields a user operation or an event association reads.
// The editor loads this file as a resource (<script src="resources/node-red-contrib-fullstory/
// fullstory-settings.js">, which defines window.FullStorySettings); the runtime requires it
// (nodes/lib/runtime/setting-table.ts checks its shape). Plain ES5, no dependencies: it runs in
// both. Change a number here and the dialog's check, its spinner and the runtime's clamp follow.
(function (table) {
    'use strict';
    if (typeof module === 'object' && module && module.exports) { module.exports = table; }
    else { window.FullStorySettings = table; }
})({
    // min/max: what the dialog accepts and what the runtime clamps a stored value to; default:
    // a new node's value, and the runtime's when the flow has none (or not a number); integer:
    // whole numbers only (the runtime rounds); step: the spinner's step (default 1).
    ranges: {
        // fullstory-config: the shared HTTP client's limits.
        config: {
            timeout: { min: 1, max: 300, default: 10, integer: false },
            maxAttempts: { min: 1, max: 20, default: 5, integer: true },
            retryBudget: { min: 1, max: 3600, default: 30, integer: false },
            maxConcurrency: { min: 1, max: 100, default: 8, integer: true },
            // FullStory runs up to 100 jobs per account at a time.
            maxJobs: { min: 1, max: 100, default: 10, integer: true },
            // 0 = no limit of ours.
            rateLimit: { min: 0, max: 1000, default: 0, integer: false }
        },
        // fullstory-user (upsert) and fullstory-event: batch mode.
        batch: {
            // FullStory takes at most 50,000 records per import job.
            batchSize: { min: 1, max: 50000, default: 1000, integer: true },
            // A partial batch waits at least 0.1 s (no job per record).
            flushInterval: { min: 0.1, max: 86400, default: 10, integer: false, step: 1 },
            // Job status is first read after 2 s and then less often: a job needs some seconds
            // to be seen finished, and a job_timeout cannot be retried, so at least 10 s.
            jobTimeout: { min: 10, max: 86400, default: 600, integer: false, step: 10 },
            maxBuffered: { min: 1, max: 10000000, default: 100000, integer: true, step: 1000 }
        }
    },
    // fullstory-config: the batch journal is on unless the config turns it off (a flow saved before
    // the setting existed included).
    journalByDefault: true,
    // fullstory-user: the fields each operation reads. The dialog hides the others but keeps
    // them, and the runtime never evaluates them for that operation.
    userFieldsByOperation: {
        upsert: ['uid', 'email', 'displayName', 'properties'],
        update: ['userId', 'email', 'displayName', 'properties'],
        get: ['userId'],
        list: ['uid', 'email'],
        delete: ['userId', 'uid']
    },
    // fullstory-event: the associations that read the association value (the dialog shows the
    // value field for these only; the runtime reads it for these only).
    eventAssociationsWithValue: ['uid', 'userId', 'sessionId']
});
