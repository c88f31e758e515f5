"""A realistic document for the format tests: the shape of the seed (Chinese numbered
headings, the environment table, terminal output with a tqdm bar and a long Namespace
line, the 3.4 summary table with an INVALID mark, charts) plus hostile text."""

from __future__ import annotations

from reportgen.results import (
    AccuracyResult,
    CellKey,
    Finding,
    Results,
    ServingCell,
    ServingMetrics,
    Stats,
    Subject,
)

NAMESPACE = (
    "Namespace(backend='vllm', base_url=None, host='localhost', port=12345, endpoint='/v1/completions', "
    "dataset='/home/r740/lsc/dataset/ShareGPT_V3_unfiltered_cleaned_split.json', dataset_name='sharegpt', "
    "dataset_path=None, model='/home/r740/lsc/models/Qwen2-7B-Instruct/', "
    "tokenizer='/home/r740/lsc/models/Qwen2-7B-Instruct/', best_of=1, use_beam_search=False, num_prompts=1, "
    "sharegpt_input_len=8192, sharegpt_output_len=256, request_rate=inf, seed=0, trust_remote_code=True)"
)

HEADINGS = [
    "算力卡推理评测",
    "1. 环境规格",
    "2. 环境部署",
    "2.1 硬件检查",
    "2.2 资源监控",
    "3. Qwen2-7B-Instruct推理用例测试",
    "3.3 基于vLLM在线推理性能测试",
    "3.4 基于vLLM性能测试数据汇总",
    "4. Qwen2-7B-Instruct 模型ceval gsm8k mmlu bbh基准评测",
]

# (precision, batch, TPS, TPOT ms, TTFT ms, duration s) as the summary table prints them
SUMMARY = [
    ("FP16", 1, "24.70", "51.04", "2243.94", "24.37"),
    ("FP16", 2, "27.00", "13.17", "1560.00", "35.57"),
    ("FP16", 4, "46.29", "57.60", "74.77", "22.12"),
    ("FP16", 8, "57.70", "64.65", "140.00", "35.50"),
    ("INT4", 1, "5.95", "41.24", "2006.15", "2.69"),
    ("INT4", 2, "6.13", "30.33", "4764.42", "0.722"),
    ("INT4", 4, "33.63", "196.27", "6542.50", "16.20"),
    ("INT4", 8, "48.60", "250.54", "14546.78", "32.20"),
]
INVALID_ROW = ("INT4", 1)  # generated 16 tokens instead of 256

ACCURACY = {"FP16": {"ceval": 0.6657, "gsm8k": 0.7915, "mmlu": 0.6846, "bbh": 0.2439},
            "INT4": {"ceval": 0.6738, "gsm8k": 0.7763, "mmlu": 0.6631, "bbh": 0.2338}}

SCRIPT = "<script>alert('x')</script>"


def _summary_table() -> str:
    rows = [
        "| 测试条件 | 精度 | Output tokens_per_second (TPS) | latency_per_token (TPOT) (ms) "
        "| first_token (TTFT) (ms) | Benchmark duration (s) |",
        "|:--|:--|--:|--:|--:|--:|",
    ]
    for prec, bs, tps, tpot, ttft, dur in SUMMARY:
        cond = f"batch size = {bs}<br>input_len = 8192<br>output_len = 256"
        mark = " **无效**" if (prec, bs) == INVALID_ROW else ""
        rows.append(f"| {cond} | {prec} | {tps}{mark} | {tpot} | {ttft} | {dur} |")
    return "\n".join(rows)


def sample_markdown() -> str:
    bar = "100%|██████████| 1/1 [00:10<00:00, 10.37s/it]"
    return f"""# 算力卡推理评测

| 项目 | 内容 |
|:--|:--|
| 加速卡 | Iluvatar BI-V150 |
| 模型 | Qwen2-7B-Instruct |
| 日期 | 2024-08-29 |
| 工具版本 | reportgen 0.1.0 |
| 结果文件 | `results/bi150.json` |

## 1. 环境规格

| 硬件 | 组件 | 详情 |
|:--|:--|:--|
| 服务器 (10.110.165.160) | 处理器 | Intel(R) Xeon(R) Gold 5218 CPU @ 2.30GHz |
| 服务器 (10.110.165.160) | 内存 | 125 GiB |
| GPU | 型号 | BI-V150 |
| GPU | 显存 | HBM2e; 64GB |
| GPU | 峰值算力 | FP16: 单芯 96 TFLOPS<br>双芯 192 TFLOPS |
| GPU | 命令 | `lspci \\| grep 1e3e` |
| GPU | 服务器返回 | {SCRIPT} |

## 2. 环境部署

### 2.1 硬件检查

服务器插卡后，可以通过以下命令检查加速卡是否安装正确：**lspci** 与 *ixsmi*，例如 `lspci -s 3f:00 -vvv`。

1. 查看设备列表
2. 查看链路状态
   - LnkSta: Speed 16GT/s (ok), Width x16 (ok)
   - 设备号 `1e3e:0003`

```
root@test-hpc-05:~# lspci | grep 1e3e
3f:00.0 Processing accelerators: Device 1e3e:0003 (rev 01)
42:00.0 Processing accelerators: Device 1e3e:0003 (rev 01)
{SCRIPT}
```

### 2.2 资源监控

```
+-----+-----+-----+
| IX-ML: 4.1.0      Driver Version: 4.1.0      CUDA Version: 10.2 |
| 0 Iluvatar BI-V150 | 00000000:3F:00.0 | 1500MHz   | 1600MHz   |
└─2129 /usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock
```

## 3. Qwen2-7B-Instruct推理用例测试

### 3.3 基于vLLM在线推理性能测试

a. batch size = 1; input_len = 8192; output_len = 256; FP16

```
{NAMESPACE}
Traffic request rate: inf
{bar}
===== Serving Benchmark Result =====
Successful requests: 1
Output token throughput (tok/s): 24.70
Mean TTFT (ms): 2243.94
Mean TPOT (ms): 51.04
```

### 3.4 基于vLLM性能测试数据汇总

{_summary_table()}

![输出吞吐随批大小变化](charts/serving_tps.png)

![首词元延迟随批大小变化](charts/serving_ttft.png)

## 4. Qwen2-7B-Instruct 模型ceval gsm8k mmlu bbh基准评测

| 精度 | ceval | gsm8k | mmlu | bbh |
|:--|--:|--:|--:|--:|
""" + "\n".join(
        f"| {p} | " + " | ".join(f"{s[b]:.4f}" for b in ("ceval", "gsm8k", "mmlu", "bbh")) + " |"
        for p, s in ACCURACY.items()
    ) + "\n\n![精度评测得分](charts/accuracy.png)\n"


def _stats(v: float) -> Stats:
    return Stats(n=1, mean=v, median=v, p99=v)


def sample_results() -> Results:
    r = Results(subject=Subject(card="Iluvatar BI-V150", model="Qwen2-7B-Instruct"))
    for prec, bs, tps, tpot, ttft, dur in SUMMARY:
        v = r.variant(prec, model="Qwen2-7B-Instruct")
        v.serving.append(ServingCell(batch_size=bs, input_len=8192, output_len=256, metrics=ServingMetrics(
            completed=bs, duration_s=float(dur), total_input_tokens=8192 * bs, total_output_tokens=256 * bs,
            request_throughput=bs / float(dur), input_throughput=8192 * bs / float(dur),
            output_throughput=float(tps), total_token_throughput=(8192 + 256) * bs / float(dur),
            ttft_ms=_stats(float(ttft)), tpot_ms=_stats(float(tpot)))))
    r.variant("FP16").serving.append(ServingCell(batch_size=16, input_len=8192, output_len=256))  # no metrics
    for prec, scores in ACCURACY.items():
        for bench, score in scores.items():
            r.variant(prec).accuracy.append(AccuracyResult(benchmark=bench, mode="unknown", score=score))
    r.findings.append(Finding(severity="error", precision=INVALID_ROW[0],
                              cell=CellKey(batch_size=INVALID_ROW[1], input_len=8192, output_len=256),
                              check="output_tokens", message="16 of 256 tokens generated"))
    return r
