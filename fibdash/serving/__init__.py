"""Serving the dashboard's visitors: the worker process, its jobs and their costs. No TensorFlow, no
Streamlit: the glue (`streamlit_glue.work`) draws what this package decides.

How a job flows, from a button to the numbers on every page that follows it:

    page (server)          kinds                  jobs (server)               worker (child process)
    ---------------        ------------------     ---------------------       ----------------------
    Train pressed  ----->  Work: key, label,      JobRunner.submit:           _serve reads _Call
                           function, finish,      stored result? found.       tasks.train_pair runs
                           estimate, refusal  ->  already queued/running?     the engine on the
                           (budget: seconds,      follow it. Else queue it.   windows it was sent
                           over the limit?        dispatch thread: one job    each epoch: _Progress
                           refused here)          at a time -> Worker.submit  ----------> back up
                                                  progress -> job.progress    the pipe
    live display   <-----  finish(result):        <---------------------      _Outcome: trained
    (polls the job)        scores, tables,        store (LRU, in bytes),      weights and numbers,
                           statistics             job DONE, followers see it  plain arrays

- `kinds`: each kind of work (a pair, a seed study, a sweep) defined once; `budget`: what a job
  will cost, from `calibration.json`, and the settings that would fit when it is refused.
- `jobs`: the queue every session shares (shortest first, with ageing), followers, Stop, limits on
  what a job consumes, the bounded store, how each job ended.
- `worker`: the child process and its pipe, typed messages, two lanes (a job, and quick calls
  such as a what-if prediction beside it); a killed worker is a message, not a hang.
- `tasks`: the module-level functions the worker runs (numpy and the Numba engine only).
- `downloads`: `.keras` files, made on demand by a short-lived TensorFlow process.

A Stop travels the same way up: the page asks `JobRunner.stop`, which ends the job for that
session only and sends `_Stop` to the worker once no session follows it; `report` then returns
True in the worker, whose task ends after the epoch it is in (or the worker is replaced).
"""
