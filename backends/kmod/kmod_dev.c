/* SPDX-License-Identifier: MIT OR GPL-2.0-only */
/*
 * kmod_dev.c - /dev/vmcore: the module's one door to userspace.
 *
 * Theory
 * ------
 * One ioctl, VMC_KMOD_IOC_RUN, is one whole run (vmc_kmod_uapi.h): copy
 * the request in, check every field, copy the op stream in, decode it
 * with the host's own decoder (fuzz/vmc_op_bin.c), run it on one engine
 * with the host's own runner (fuzz/vmc_run.c, vmc_run_sink), collect the
 * trace lines in a kernel buffer of the caller's size, and copy trace and
 * results out.  VMC_KMOD_IOC_INFO creates the core's arena with the
 * requested shape, reports it, and destroys it.
 *
 * Nothing userspace sends may reach a WARN, a BUG or a leak, so the
 * request is checked before anything is allocated: unknown engines, flag
 * bits or ioctl numbers, non-zero reserved fields, lengths over the
 * limits, a zero trace length, and shapes the backend could not honour
 * are -EINVAL (unknown ioctls -ENOTTY); unreadable streams and
 * unwritable trace buffers are -EFAULT, the whole trace buffer being
 * checked (access_ok) and faulted in writable up front, so a bad pointer
 * or a short mapping fails before the run, not after it.  A run is
 * bounded (vmc_kmod_uapi.h, Bounds): before every op kd_stop() gives the
 * CPU away (cond_resched), and stops the run on a fatal signal (-EINTR,
 * trace so far copied out, so a killed caller is reaped at once instead
 * of holding the mutex for the rest of its stream) or when the op or time
 * budget is spent (status 2).  The
 * stream itself cannot be malformed: every byte string decodes to a
 * valid program.  Each run starts with the device region zeroed, as a
 * fresh sim arena's is.  Runs are serialised by one mutex: the backend keeps
 * the window of the last run for the reply (kmod_backend_window), and a
 * run may take a good part of the guest's memory.
 */
#include <linux/kernel.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/pgtable.h>
#include <linux/jiffies.h>
#include <linux/pagemap.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "kmod.h"
#include "vmc_kmod_uapi.h"
#include "vmc_kmod_bench.h"
#include "vmc_op.h"
#include "vmc_run.h"
#include "vmcore.h"

static DEFINE_MUTEX(kd_lock);

/* The trace buffer the sink fills; overflow sets `truncated`. */
struct kd_trace {
	char *buf;
	size_t len, used;
	bool truncated;
	/* the budgets (kd_stop) */
	unsigned long deadline;         /* jiffies */
	u64 max_ops, ops, max_ms;
	int why;                        /* 0, -EINTR, -ETIME (time), -EDQUOT (ops) */
};

/* Asked by the runner before every op: stop the run here? */
static int kd_stop(void *arg)
{
	struct kd_trace *t = arg;

	cond_resched();
	if (fatal_signal_pending(current))
		t->why = -EINTR;
	else if (t->max_ops && t->ops >= t->max_ops)
		t->why = -EDQUOT;
	else if (time_after_eq(jiffies, t->deadline))
		t->why = -ETIME;
	else
		t->ops++;
	return t->why != 0;
}

static void kd_line(void *arg, const char *line)
{
	struct kd_trace *t = arg;
	size_t n = strlen(line);

	if (t->truncated || n + 1 > t->len - t->used) {
		t->truncated = true;
		return;
	}
	memcpy(t->buf + t->used, line, n);
	t->buf[t->used + n] = '\n';
	t->used += n + 1;
}

/*
 * A shape with its defaults filled in; -EINVAL if it cannot be run.  A
 * diff run gets a larger frame budget by default: near exhaustion the
 * core (which also spends frames on page tables) and the kernel fail on
 * different ops, which says nothing about either.
 */
static int kd_shape(struct vmc_kmod_shape *s, bool diff)
{
	const struct kmod_devmem *dm = kmod_devmem();

	if (!s->arena_size)
		s->arena_size = VMC_KMOD_DEF_ARENA;
	if (!s->nr_frames)
		s->nr_frames = diff ? VMC_KMOD_DEF_FRAMES_DIFF :
			       VMC_KMOD_DEF_FRAMES;
	if (!s->dev_frames)
		s->dev_frames = min_t(u64, VMC_KMOD_DEF_DEV_FRAMES,
				      dm->size >> PAGE_SHIFT);
	/* vmap() of the window maps at most totalram_pages() pages. */
	if (s->arena_size & ~PAGE_MASK || s->arena_size < 16 * PAGE_SIZE ||
	    s->arena_size > VMC_KMOD_ARENA_MAX ||
	    s->arena_size >> PAGE_SHIFT > totalram_pages())
		return -EINVAL;
	if (s->nr_frames > totalram_pages() / 4)     /* two engines in a diff run */
		return -EINVAL;
	if (s->dev_frames > dm->size >> PAGE_SHIFT)
		return -EINVAL;
	return 0;
}

static bool kd_zero(const __u64 *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i])
			return false;
	return true;
}

/* The engines of a run (core first: the reference); returns how many. */
static size_t kd_spec(struct vmc_engine_spec *spec, const struct vmc_kmod_run *r)
{
	static const struct vmc_engine_ops *const which[VMC_KMOD_ENGINE_NR][2] = {
		[VMC_KMOD_ENGINE_CORE] = { &vmc_engine_core_kmod },
		[VMC_KMOD_ENGINE_LINUX] = { &vmc_engine_linux },
		[VMC_KMOD_ENGINE_DIFF] = { &vmc_engine_core_kmod,
					   &vmc_engine_linux },
	};
	size_t n;

	memset(spec, 0, 2 * sizeof(*spec));
	for (n = 0; n < 2 && which[r->engine][n]; n++) {
		spec[n].ops = which[r->engine][n];
		spec[n].label = spec[n].ops->name;
		spec[n].cfg.nohuge = true;
		spec[n].cfg.arena_size = r->shape.arena_size;
		spec[n].cfg.nr_frames = (unsigned long)r->shape.nr_frames;
		spec[n].cfg.nr_nodes = 1;
		spec[n].cfg.dev_frames = (unsigned long)r->shape.dev_frames;
		/* A diff run compares the core as the kernel it runs in: on a
		   kernel with vrealloc (6.12: vmap nodes, vrealloc keeps a
		   shrunk area's pages) the core's linux-6.12 profile, with
		   this machine's CPUs.  A core run stays on linux-6.1: its
		   trace is compared with a sim run of that shape. */
		if (r->engine == VMC_KMOD_ENGINE_DIFF && KMOD_HAVE_VREALLOC) {
			spec[n].cfg.profile = VMC_ENGINE_PROFILE_LINUX_6_12;
			spec[n].cfg.nr_cpus = num_online_cpus();
		}
	}
	return n;
}

/*
 * A diff run drops fail() ops: fault injection reaches the core only, and
 * after it the two engines would be asked different things.  The core's
 * failure paths are compared with the model and sim on the host.
 */
static size_t kd_drop_fail(struct vmc_op *ops, size_t n)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		if (ops[i].kind != VMC_OP_FAIL)
			ops[k++] = ops[i];
	return k;
}

/* Check the request; copy the stream in (*stream: kvmalloc'ed or NULL). */
static int kd_run_args(struct vmc_kmod_run *r, u8 **stream)
{
	char __user *trace = u64_to_user_ptr(r->trace);
	int err;

	*stream = NULL;
	if (r->engine >= VMC_KMOD_ENGINE_NR || r->flags & ~VMC_KMOD_FLAGS ||
	    !kd_zero(r->reserved, ARRAY_SIZE(r->reserved)) ||
	    r->max_ms > VMC_KMOD_MAX_MS ||
	    r->stream_len > VMC_KMOD_STREAM_MAX ||
	    !r->trace_len || r->trace_len > VMC_KMOD_TRACE_MAX)
		return -EINVAL;
	err = kd_shape(&r->shape, r->engine == VMC_KMOD_ENGINE_DIFF);
	if (err)
		return err;
	/* The whole trace buffer, now: not one byte, and not after the run. */
	if (!access_ok(trace, r->trace_len) ||
	    fault_in_writeable(trace, r->trace_len))
		return -EFAULT;
	if (!access_ok(u64_to_user_ptr(r->stream), r->stream_len))
		return -EFAULT;
	if (!r->stream_len)
		return 0;
	*stream = kvmalloc(r->stream_len, GFP_KERNEL | __GFP_NOWARN);
	if (!*stream)
		return -ENOMEM;
	if (copy_from_user(*stream, u64_to_user_ptr(r->stream), r->stream_len)) {
		kvfree(*stream);
		*stream = NULL;
		return -EFAULT;
	}
	return 0;
}

static long kd_run(struct vmc_kmod_run __user *arg)
{
	struct vmc_run_report *rep = NULL;
	struct kd_trace t = { 0 };
	struct vmc_engine_spec spec[2];
	struct vmc_kmod_run r;
	struct vmc_op *ops = NULL;
	const char *geometry;
	unsigned long vs, ve;
	unsigned int flags;
	u8 *stream;
	size_t n, neng;
	long err;
	int ret;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	err = kd_run_args(&r, &stream);
	if (err)
		return err;
	err = -ENOMEM;
	rep = kzalloc(sizeof(*rep), GFP_KERNEL | __GFP_NOWARN);
	t.len = r.trace_len;
	t.buf = kvmalloc(t.len, GFP_KERNEL | __GFP_NOWARN);
	ops = vmc_op_decode(stream ? stream : (const u8 *)"", r.stream_len, &n);
	if (!rep || !t.buf || !ops)
		goto out;

	/* Every run starts from zeroed device memory, as a sim arena does
	   (the BAR keeps what earlier runs wrote). */
	memset_io(kmod_devmem()->kva, 0, kmod_devmem()->size);
	neng = kd_spec(spec, &r);
	if (neng > 1)
		n = kd_drop_fail(ops, n);
	flags = ((r.flags & VMC_KMOD_CHECK) ? VMC_RUN_CHECK : 0) |
		((r.flags & VMC_KMOD_OBSERVE) ? VMC_RUN_OBSERVE : 0) |
		(neng > 1 ? VMC_RUN_OBSERVE | VMC_RUN_NO_STALE : 0);
	t.max_ops = r.max_ops;
	t.max_ms = r.max_ms ? r.max_ms : VMC_KMOD_DEF_MAX_MS;
	t.deadline = jiffies + msecs_to_jiffies((unsigned int)t.max_ms);
	{
		struct vmc_trace_sink sink = { kd_line, &t, kd_stop };

		ret = vmc_run_sink(ops, n, spec, neng, flags, &sink, rep);
	}
	r.trace_used = t.used;
	r.ops = n;
	r.truncated = t.truncated;
	r.status = ret < 0 ? -EIO : ret;
	memset(r.what, 0, sizeof(r.what));
	if (ret == 2)
		snprintf(r.what, sizeof(r.what), "%s: %s",
			 t.why == -EINTR ? "fatal signal" :
			 t.why == -EDQUOT ? "op budget (max_ops) spent" :
			 "time budget (max_ms) spent", rep->what);
	else if (ret)
		strscpy(r.what, rep->what, sizeof(r.what));
	r.vstart = r.vend = 0;
	memset(r.geometry, 0, sizeof(r.geometry));
	if (r.engine != VMC_KMOD_ENGINE_LINUX && ret >= 0) {
		kmod_backend_window(&vs, &ve, &geometry);
		r.vstart = vs;
		r.vend = ve;
		strscpy(r.geometry, geometry, sizeof(r.geometry));
	}
	err = -EFAULT;
	if (copy_to_user(u64_to_user_ptr(r.trace), t.buf, t.used) ||
	    copy_to_user(arg, &r, sizeof(r)))
		goto out;
	err = t.why == -EINTR ? -EINTR : 0;
out:
	vmc_env_free(ops);
	kvfree(t.buf);
	kfree(rep);
	kvfree(stream);
	return err;
}

static long kd_info(struct vmc_kmod_info __user *arg)
{
	struct vmc_arena_config ac;
	struct vmc_kmod_info in;
	struct vmc_arena *a;
	const char *geometry;
	unsigned long s, e, vs, ve, dev_size;
	uint64_t dev_phys;
	int err;

	if (copy_from_user(&in, arg, sizeof(in)))
		return -EFAULT;
	if (!kd_zero(in.reserved, ARRAY_SIZE(in.reserved)))
		return -EINVAL;
	err = kd_shape(&in.shape, false);
	if (err)
		return err;
	memset(&ac, 0, sizeof(ac));
	ac.ops = &vmc_backend_kmod;
	ac.size = in.shape.arena_size;
	ac.nr_frames = (unsigned long)in.shape.nr_frames;
	ac.nr_nodes = 1;
	ac.dev_frames = (unsigned long)in.shape.dev_frames;
	ac.flags = VMC_ARENA_QUIET;
	err = vmc_arena_create(&ac, &a);
	if (err)
		return err;
	vmc_arena_range(a, &s, &e);
	vmc_arena_device(a, &dev_phys, &dev_size);
	kmod_backend_window(&vs, &ve, &geometry);
	in.vstart = s;
	in.vend = e;
	in.dev_phys = dev_phys;
	in.dev_size = dev_size;
	in.levels = pgtable_l5_enabled() ? 5 : 4;
	in.features = vmc_backend_kmod.features;
	in.nr_nodes = 1;
	in.dev_is_bar = kmod_devmem()->is_bar;
	memset(in.geometry, 0, sizeof(in.geometry));
	strscpy(in.geometry, geometry, sizeof(in.geometry));
	vmc_arena_destroy(a);
	return copy_to_user(arg, &in, sizeof(in)) ? -EFAULT : 0;
}

static long kd_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	long err;

	if (cmd != VMC_KMOD_IOC_RUN && cmd != VMC_KMOD_IOC_INFO &&
	    cmd != VMC_KMOD_IOC_BENCH)
		return -ENOTTY;
	if (mutex_lock_interruptible(&kd_lock))
		return -EINTR;
	if (cmd == VMC_KMOD_IOC_BENCH)
		err = kmod_bench_ioctl((void __user *)arg);
	else if (cmd == VMC_KMOD_IOC_RUN)
		err = kd_run((struct vmc_kmod_run __user *)arg);
	else
		err = kd_info((struct vmc_kmod_info __user *)arg);
	mutex_unlock(&kd_lock);
	return err;
}

static const struct file_operations kd_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = kd_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice kd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vmcore",
	.fops = &kd_fops,
	.mode = 0600,
};

int kmod_dev_init(void)
{
	return misc_register(&kd_misc);
}

void kmod_dev_exit(void)
{
	misc_deregister(&kd_misc);
}
