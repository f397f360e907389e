// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel Mode Linux: test facilities (CONFIG_KML_SELFTEST, test kernels
 * only; the selftests of the KML repository use them).
 *
 * /sys/kernel/debug/kml/nmi_storm (root only)
 *
 *   write "CPU SECONDS": the writer's CPU sends NMIs to CPU, one at a time
 *   and each as soon as the last one was handled, for SECONDS (1-600); the
 *   write returns when the storm is over.  The handler, on CPU, reads an
 *   unmapped kernel page with copy_from_kernel_nofault(): a page fault
 *   that the exception table fixes up, as perf's NMI handler takes one
 *   when it reads a user call chain with copy_from_user_nmi().
 *
 *   read: the counts of the last storm, one line of "name value" pairs:
 *     sent       NMIs sent
 *     handled    NMIs the handler took (sent, unless one was lost)
 *     lost       NMIs not handled within a second (the storm stops)
 *     faults     fixed-up page faults taken by the handler
 *     kml        NMIs that found CPU in KML state (kml_cpu_active)
 *     window     NMIs whose interrupted RSP was on CPU's KML IST: they
 *                interrupted a KML entry stub or the entry code behind it,
 *                or kml_ist_return
 *     normal_idt of those, how many ran their handler with the normal IDT
 *     redirected of those, how many the NMI prologue sent to the normal
 *                IDT (its count in /sys/kernel/debug/kml/ist went up)
 *     trampoline of those, how many came through the normal IDT's gate
 *                because they interrupted kml_ist_return before its lidt
 *                (right after the IRET of the previous one, typically)
 *
 * On a kernel whose NMI prologue let such a handler fault on the KML IST,
 * the fault's frame overwrote the interrupted one: the first "window"
 * NMI crashed the machine.  See KML_IST_REDIRECT in entry_64_kml.S.
 */
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sched/clock.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/apic.h>
#include <asm/cpu_entry_area.h>
#include <asm/desc.h>
#include <asm/irq_vectors.h>
#include <asm/kml.h>
#include <asm/nmi.h>

#define KML_STORM_MAX_SECONDS	600
#define KML_STORM_LOST_NS	NSEC_PER_SEC

struct kml_storm_counts {
	unsigned long sent, handled, lost, faults, kml, window, normal_idt,
		      redirected, trampoline;
};

static struct {
	struct mutex lock;		/* one storm at a time */
	unsigned int target;
	void *hole;			/* an unmapped page (vmalloc guard) */
	int pending;			/* an NMI is on its way to target */
	unsigned long redirects;	/* target's NMI count in the KML IST */
	struct kml_storm_counts n;	/* written by target's handler */
} kml_storm = {
	.lock = __MUTEX_INITIALIZER(kml_storm.lock),
};

/* The redirect counts of @cpu's NMI prologue, in the bottom of its KML IST */
static unsigned long *kml_ist_counts(unsigned int cpu)
{
	return (unsigned long *)CEA_ESTACK_BOT(per_cpu(cea_exception_stacks, cpu),
					       KML);
}

static int kml_storm_nmi(unsigned int type, struct pt_regs *regs)
{
	unsigned long bot, word, redirects;
	struct desc_ptr idt;
	unsigned int cpu = smp_processor_id();

	if (cpu != READ_ONCE(kml_storm.target) || !READ_ONCE(kml_storm.pending))
		return NMI_DONE;

	bot = CEA_ESTACK_BOT(__this_cpu_read(cea_exception_stacks), KML);
	redirects = READ_ONCE(kml_ist_counts(cpu)[KML_IST_COUNT_NMI]);
	if (regs->sp - bot < CEA_ESTACK_SIZE(KML)) {
		kml_storm.n.window++;
		store_idt(&idt);
		if (idt.address == CPU_ENTRY_AREA_RO_IDT)
			kml_storm.n.normal_idt++;
		if (redirects != kml_storm.redirects)
			kml_storm.n.redirected++;
		else if (regs->ip >= (unsigned long)kml_ist_return &&
			 regs->ip < (unsigned long)kml_ist_return_end)
			kml_storm.n.trampoline++;
	}
	kml_storm.redirects = redirects;
	if (kml_cpu_is_active())
		kml_storm.n.kml++;
	if (copy_from_kernel_nofault(&word, kml_storm.hole, sizeof(word)) ==
	    -EFAULT)
		kml_storm.n.faults++;
	kml_storm.n.handled++;
	/* The counts above are complete before the sender sees this. */
	smp_store_release(&kml_storm.pending, 0);
	return NMI_HANDLED;
}

/* Runs on the writer's CPU (migration off), never the target. */
static int kml_storm_run(unsigned int target, unsigned int seconds)
{
	unsigned long end = jiffies + seconds * HZ;
	int ret = 0;
	u64 t0;

	kml_storm.target = target;
	kml_storm.redirects = READ_ONCE(kml_ist_counts(target)[KML_IST_COUNT_NMI]);
	memset(&kml_storm.n, 0, sizeof(kml_storm.n));
	ret = register_nmi_handler(NMI_LOCAL, kml_storm_nmi, 0, "kml_storm");
	if (ret)
		return ret;
	while (time_before(jiffies, end)) {
		WRITE_ONCE(kml_storm.pending, 1);
		/* The APIC write is ordered after the store (x86 TSO). */
		__apic_send_IPI(target, NMI_VECTOR);
		kml_storm.n.sent++;
		t0 = local_clock();
		/* Pairs with the handler's release: its counts are final. */
		while (smp_load_acquire(&kml_storm.pending)) {
			if (local_clock() - t0 > KML_STORM_LOST_NS) {
				kml_storm.n.lost++;
				ret = -ETIMEDOUT;
				goto out;
			}
			cpu_relax();
		}
		if (!(kml_storm.n.sent & 1023)) {
			if (signal_pending(current)) {
				ret = -EINTR;
				break;
			}
			cond_resched();
		}
	}
out:
	/* Waits for a handler still running on target. */
	unregister_nmi_handler(NMI_LOCAL, "kml_storm");
	WRITE_ONCE(kml_storm.pending, 0);
	return ret;
}

static ssize_t kml_storm_write(struct file *file, const char __user *ubuf,
			       size_t len, loff_t *ppos)
{
	unsigned int target, seconds;
	char buf[32];
	void *page;
	int ret;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%u %u", &target, &seconds) != 2 || !seconds ||
	    seconds > KML_STORM_MAX_SECONDS)
		return -EINVAL;
	if (target >= nr_cpu_ids || !cpu_online(target))
		return -ENODEV;

	page = vmalloc(PAGE_SIZE);
	if (!page)
		return -ENOMEM;
	if (!mutex_trylock(&kml_storm.lock)) {
		vfree(page);
		return -EBUSY;
	}
	/* The guard page after a vmalloc area is never mapped. */
	kml_storm.hole = page + PAGE_SIZE;
	migrate_disable();
	if (smp_processor_id() == target)
		ret = -EDEADLK;		/* the writer must run on another CPU */
	else
		ret = kml_storm_run(target, seconds);
	migrate_enable();
	mutex_unlock(&kml_storm.lock);
	vfree(page);
	return ret ?: len;
}

static int kml_storm_show(struct seq_file *m, void *v)
{
	struct kml_storm_counts n;

	mutex_lock(&kml_storm.lock);
	n = kml_storm.n;
	mutex_unlock(&kml_storm.lock);
	seq_printf(m, "sent %lu handled %lu lost %lu faults %lu kml %lu window %lu normal_idt %lu redirected %lu trampoline %lu\n",
		   n.sent, n.handled, n.lost, n.faults, n.kml, n.window,
		   n.normal_idt, n.redirected, n.trampoline);
	return 0;
}

static int kml_storm_open(struct inode *inode, struct file *file)
{
	return single_open(file, kml_storm_show, NULL);
}

static const struct file_operations kml_storm_fops = {
	.owner		= THIS_MODULE,
	.open		= kml_storm_open,
	.read		= seq_read,
	.write		= kml_storm_write,
	.llseek		= seq_lseek,
	.release	= single_release,
};

static int __init kml_selftest_init(void)
{
	struct dentry *dir;

	/* arch/x86/kernel/kml.c made the directory (earlier in link order). */
	dir = debugfs_lookup("kml", NULL);
	if (!dir)
		return 0;	/* no KML IDT: nothing to test */
	debugfs_create_file("nmi_storm", 0600, dir, NULL, &kml_storm_fops);
	dput(dir);
	return 0;
}
late_initcall(kml_selftest_init);
