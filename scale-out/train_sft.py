"""Fine-tune the workbook's exported job with Hugging Face TRL's SFTTrainer.

The workbook exports its instruction dataset (prompt/completion JSONL, split as in the lesson), its
base model (a Hugging Face GPT-2 folder with its tokenizer) and its fine-tuning hyperparameters into
one folder (`npm run scale-out -- --export-only`, or `exportScaleOutJob` from a notebook). This script
trains that job with TRL, on CPU here, or on every GPU of a machine with accelerate:

    python scale-out/train_sft.py --job runs/scale-out/job --out runs/scale-out/trl
    accelerate launch --config_file scale-out/accelerate-multi-gpu.yaml \
        scale-out/train_sft.py --job runs/scale-out/job --out runs/scale-out/trl

The workbook's hyperparameters map one to one onto SFTConfig (see `sft_config`): AdamW with the same
betas, epsilon and decoupled weight decay on everything but biases and layer norms; linear warm-up
then cosine down to `minLearningRateRatio` of the peak (transformers' "cosine_warmup_with_min_lr",
which counts steps as the workbook does); clipping by global norm; the loss on the completion and
the end-of-text token only, averaged over the graded tokens of the whole (global) batch; no dropout
unless asked; fp32; batches of examples of similar length (transformers' "group_by_length", windows
of 50 batches as in the workbook). What differs: TRL draws its batches with its own random numbers,
and it keeps the last model, where the workbook keeps the best by validation accuracy.

For the parity test, `--batch-order` replaces TRL's shuffling by the workbook's own batches (a JSON
list of example-index lists, one per optimizer step), `--stop-after` stops after that many steps
without changing the schedule, and `--record` writes each step's loss, learning rate, gradient norm
and token ids to a JSON file.
"""
import argparse
import json
import math
import os
import sys
import time

# Everything is local: never reach for the Hugging Face hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import torch  # noqa: E402
from datasets import load_dataset  # noqa: E402
from transformers import AutoTokenizer, GPT2LMHeadModel, TrainerCallback  # noqa: E402
from trl import SFTConfig, SFTTrainer  # noqa: E402


def round_half_up(x):
    """JavaScript's Math.round, which the workbook uses for the warm-up steps (Python's round() rounds 2.5 to 2)."""
    return math.floor(x + 0.5)


def sft_config(hp, out_dir, world_size, use_cpu, eval_each_epoch, replay):
    """The workbook's FinetuneConfig as TRL's SFTConfig, field by field."""
    if hp["batchSize"] % world_size != 0:
        sys.exit(f"train_sft.py: batchSize {hp['batchSize']} does not split over {world_size} processes; "
                 "choose a batch size that is a multiple of the number of GPUs.")
    return SFTConfig(
        output_dir=os.path.join(out_dir, "trainer"),
        # The optimizer: torch's AdamW; Trainer decays every weight but biases and layer norms, as the workbook.
        optim="adamw_torch",
        learning_rate=hp["learningRate"],
        adam_beta1=hp["beta1"],
        adam_beta2=hp["beta2"],
        adam_epsilon=1e-8,
        weight_decay=hp["weightDecay"],
        max_grad_norm=hp["gradClip"],
        # Warm-up then cosine to a floor: warmup_steps is set from warmupFraction once the step count is known.
        lr_scheduler_type="cosine_warmup_with_min_lr",
        lr_scheduler_kwargs={"min_lr_rate": hp["minLearningRateRatio"]},
        # The batch: batchSize examples per micro-batch over all processes, gradAccumulation micro-batches per step.
        per_device_train_batch_size=hp["batchSize"] // world_size,
        per_device_eval_batch_size=hp["batchSize"] // world_size,
        gradient_accumulation_steps=hp["gradAccumulation"],
        # A replayed batch order holds every epoch's batches already: one pass over it.
        num_train_epochs=1 if replay else hp["epochs"],
        seed=hp["seed"],
        data_seed=hp["seed"],
        # The workbook's length buckets: shuffled windows of 50 batches sorted by length, so a batch pads little.
        train_sampling_strategy="group_by_length",
        # The data: prompt/completion, graded on the completion (TRL appends the end-of-text token, graded too).
        completion_only_loss=True,
        max_length=hp["maxLength"],
        packing=False,
        padding_free=False,
        pad_to_multiple_of=None,
        dataset_num_proc=None,
        # fp32 as the workbook trains (TRL would pick bf16 by default), no activation recomputation.
        bf16=False,
        fp16=False,
        gradient_checkpointing=False,
        use_cpu=use_cpu,
        # The loss is averaged over the graded tokens of the global batch, as the workbook's accumulation does.
        average_tokens_across_devices=True,
        logging_steps=1,
        eval_strategy="epoch" if eval_each_epoch else "no",
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
        dataloader_drop_last=False,
    )


class WorkbookSFTTrainer(SFTTrainer):
    """SFTTrainer with the workbook's warm-up rounding, and (for the parity test) its batch order and a step record."""

    def __init__(self, *args, warmup_fraction, expected_steps=None, batch_order=None, record=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.warmup_fraction = warmup_fraction
        self.expected_steps = expected_steps
        self.batch_order = batch_order
        self.record = record

    def create_scheduler(self, num_training_steps, optimizer=None):
        if self.expected_steps is not None and num_training_steps != self.expected_steps:
            sys.exit(f"train_sft.py: {num_training_steps} optimizer steps here but {self.expected_steps} in the workbook's run "
                     "(job.json counts.steps); the schedule would differ. Is the job folder from another export?")
        # The workbook warms up for round(warmupFraction * total steps); transformers would take the ceiling.
        self.args.warmup_steps = round_half_up(self.warmup_fraction * num_training_steps)
        return super().create_scheduler(num_training_steps, optimizer)

    def get_train_dataloader(self):
        if self.batch_order is None:
            return super().get_train_dataloader()
        # The workbook's own batches, in its order: every epoch's batches one after another.
        dataset = self._remove_unused_columns(self.train_dataset, description="Training")
        loader = torch.utils.data.DataLoader(dataset, batch_sampler=self.batch_order, collate_fn=self.data_collator)
        return self.accelerator.prepare(loader)

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        result = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        if self.record is not None and model.training:
            loss = result[0] if return_outputs else result
            mask = inputs["attention_mask"].bool()
            self.record["steps"].append({
                "loss": loss.detach().item(),
                "learningRate": self.optimizer.param_groups[0]["lr"],
                "gradedTokens": int((inputs["labels"][:, 1:] != -100).sum()),
                "inputIds": [ids[m].tolist() for ids, m in zip(inputs["input_ids"], mask)],
                "labelMask": [(lab[m] != -100).int().tolist() for lab, m in zip(inputs["labels"], mask)],
            })
        return result


class StopAfter(TrainerCallback):
    """Stops after a number of optimizer steps without shortening the learning-rate schedule (max_steps would)."""

    def __init__(self, steps):
        self.steps = steps

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step >= self.steps:
            control.should_training_stop = True


class RecordGradNorm(TrainerCallback):
    """Adds each step's gradient norm (before clipping, as Trainer logs it) to the record."""

    def __init__(self, record):
        self.record = record

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "grad_norm" in logs:
            self.record["gradNorms"].append(float(logs["grad_norm"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--job", required=True, help="the folder the workbook exported (job.json, data/, base-model/)")
    parser.add_argument("--out", required=True, help="where the fine-tuned model is saved (a Hugging Face folder with its tokenizer)")
    parser.add_argument("--cpu", action="store_true", help="train on the CPU even when a GPU is there")
    parser.add_argument("--threads", type=int, default=0, help="CPU threads for torch (default: torch's choice)")
    parser.add_argument("--no-eval", action="store_true", help="skip the validation loss at the end of each epoch")
    parser.add_argument("--batch-order", help="JSON file: the workbook's batches (lists of train example indices), one per optimizer step")
    parser.add_argument("--stop-after", type=int, default=0, help="stop after this many optimizer steps (the schedule stays the full run's)")
    parser.add_argument("--record", help="write each step's loss, learning rate, gradient norm and token ids to this JSON file")
    args = parser.parse_args()

    with open(os.path.join(args.job, "job.json"), encoding="utf8") as f:
        job = json.load(f)
    hp = job["finetune"]
    if hp.get("dropout", 0) != 0:
        print(f"train_sft.py: dropout {hp['dropout']} as in the workbook's run", file=sys.stderr)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(hp["seed"])
    world_size = int(os.environ.get("WORLD_SIZE", "1"))

    base = os.path.join(args.job, job["baseModel"])
    tokenizer = AutoTokenizer.from_pretrained(base)
    # The workbook pads with the end-of-text token too; padded positions are masked either way.
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model = GPT2LMHeadModel.from_pretrained(base, dtype=torch.float32)
    # Dropout as in the workbook's run (0 in the lesson): the same probability on every dropout layer.
    model.config.resid_pdrop = model.config.embd_pdrop = model.config.attn_pdrop = hp.get("dropout", 0)
    for module in model.modules():
        if isinstance(module, torch.nn.Dropout):
            module.p = hp.get("dropout", 0)

    files = {split: os.path.join(args.job, name) for split, name in job["data"].items() if split in ("train", "validation")}
    data = load_dataset("json", data_files=files)
    eval_each_epoch = not args.no_eval and "validation" in data and args.batch_order is None

    batch_order = None
    if args.batch_order:
        with open(args.batch_order, encoding="utf8") as f:
            batch_order = json.load(f)
    record = {"steps": [], "gradNorms": []} if args.record else None
    callbacks = []
    if args.stop_after > 0:
        callbacks.append(StopAfter(args.stop_after))
    if record is not None:
        callbacks.append(RecordGradNorm(record))

    trainer = WorkbookSFTTrainer(
        model=model,
        args=sft_config(hp, args.out, world_size, args.cpu, eval_each_epoch, batch_order is not None),
        train_dataset=data["train"],
        eval_dataset=data["validation"] if eval_each_epoch else None,
        processing_class=tokenizer,
        callbacks=callbacks,
        warmup_fraction=hp["warmupFraction"],
        expected_steps=job["counts"]["steps"] if world_size == 1 else None,
        batch_order=batch_order,
        record=record,
    )
    t0, cpu0 = time.perf_counter(), time.process_time()
    result = trainer.train()
    seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - cpu0

    trainer.save_model(args.out)  # config.json + model.safetensors (the tied lm_head is the embedding)
    if trainer.is_world_process_zero():
        tokenizer.save_pretrained(args.out)
        history = [h for h in trainer.state.log_history if "loss" in h or "eval_loss" in h]
        summary = {
            "trainer": "trl.SFTTrainer",
            "versions": {"trl": __import__("trl").__version__, "transformers": __import__("transformers").__version__,
                         "torch": torch.__version__, "accelerate": __import__("accelerate").__version__},
            "processes": world_size,
            "device": str(trainer.args.device),
            "steps": trainer.state.global_step,
            "trainSeconds": seconds,
            "trainCpuSeconds": cpu_seconds,
            "threads": torch.get_num_threads(),
            "trainLoss": result.training_loss,
            "history": history,
        }
        with open(os.path.join(args.out, "trl-run.json"), "w", encoding="utf8") as f:
            json.dump(summary, f, indent=1)
        if record is not None:
            with open(args.record, "w", encoding="utf8") as f:
                json.dump(record, f)
        print(f"train_sft.py: {trainer.state.global_step} steps in {seconds:.1f} s on {trainer.args.device}, "
              f"model saved in {args.out}")


if __name__ == "__main__":
    main()
